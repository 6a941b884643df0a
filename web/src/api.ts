// HTTP client for /api: JSON in and out, the CSRF header on state-changing requests (the session
// cookie authenticates; docs/architecture.md "Sign-in"), errors as ApiError with the server's code.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  get field(): string | undefined {
    const f = this.details["field"];
    return typeof f === "string" ? f : undefined;
  }
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

// Every request of a session shares one abort signal: signing out cancels what is still in flight
// instead of letting it come back refused.
let inFlight = new AbortController();

export function abortAll(): void {
  inFlight.abort();
  inFlight = new AbortController();
}
type Listener = (error: ApiError) => void;
const unauthenticatedListeners = new Set<Listener>();

/** Called whenever the server says the session is gone, so the shell can show the sign-in screen. */
export function onUnauthenticated(listener: Listener): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

export function cookie(name: string): string | undefined {
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return undefined;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  // A FormData body (files) sets its own multipart Content-Type with the boundary.
  const form = body instanceof FormData;
  if (body !== undefined && !form) headers["Content-Type"] = "application/json";
  if (UNSAFE.has(method)) {
    const csrf = cookie("concord_csrf");
    if (csrf) headers["X-CSRF-Token"] = csrf;
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      signal: inFlight.signal,
      body: body === undefined ? undefined : form ? body : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, "network", err instanceof Error ? err.message : String(err));
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const data: unknown = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const error = toApiError(response.status, data);
    if (response.status === 401 && !path.startsWith("/api/session")) {
      unauthenticatedListeners.forEach((l) => l(error));
    }
    throw error;
  }
  return data as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toApiError(status: number, data: unknown): ApiError {
  if (data && typeof data === "object" && "error" in data) {
    const e = (data as { error: { code?: string; message?: string; details?: Record<string, unknown> } }).error;
    return new ApiError(status, e.code ?? String(status), e.message ?? "", e.details ?? {});
  }
  if (data && typeof data === "object" && "detail" in data) {
    return new ApiError(status, String(status), JSON.stringify((data as { detail: unknown }).detail));
  }
  return new ApiError(status, String(status), typeof data === "string" ? data : "");
}

export const api = {
  get: <T>(path: string) => request<T>("GET", path),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {}),
  put: <T>(path: string, body?: unknown) => request<T>("PUT", path, body ?? {}),
  patch: <T>(path: string, body?: unknown) => request<T>("PATCH", path, body ?? {}),
  del: <T>(path: string, body?: unknown) => request<T>("DELETE", path, body),
};

/** Query string from a record, skipping empty values. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
