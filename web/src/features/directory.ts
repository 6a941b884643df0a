// The centre's directory (GET /api/people): names for the person ids other records carry.
import { signal } from "@preact/signals";
import { api } from "../api";

export interface DirectoryEntry {
  id: number;
  username: string;
  display_name: string;
  nation: string;
  roles: string[];
}

export const directory = signal<ReadonlyMap<number, DirectoryEntry>>(new Map());
let loading: Promise<void> | null = null;

export function loadDirectory(force = false): Promise<void> {
  if (loading && !force) return loading;
  loading = api
    .get<DirectoryEntry[]>("/api/people")
    .then((people) => {
      directory.value = new Map(people.map((p) => [p.id, p]));
    })
    .catch(() => {
      loading = null;
    });
  return loading;
}

export function personName(id: number | null | undefined): string {
  if (id === null || id === undefined) return "—";
  void loadDirectory();
  return directory.value.get(id)?.display_name ?? `#${id}`;
}
