import { precedenceName } from "../codes";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../api";
import { ErrorText } from "../components/ErrorText";
import { MarkingBadge } from "../components/MarkingBadge";
import { MarkingPicker, type MarkingInput } from "../components/MarkingPicker";
import { Time } from "../components/Time";
import { now } from "../clock";
import { countdown } from "../format";
import { personName } from "../features/directory";
import {
  acknowledge,
  attachmentUrl,
  chat,
  PRECEDENCES,
  type AckState,
  type Attachment,
  type Channel,
  type Message,
  type Precedence,
} from "../features/chat";
import { formatNumber, t, tk } from "../i18n";
import { realtime } from "../realtime";
import { navigate, route } from "../router";
import { me } from "../session";
import { Pending } from "./Pending";

const PRECEDENCE_KEYS: Record<Precedence, string> = {
  FLASH: tk("chat.precedence.flash"),
  IMMEDIATE: tk("chat.precedence.immediate"),
  PRIORITY: tk("chat.precedence.priority"),
  ROUTINE: tk("chat.precedence.routine"),
};

function AckChips({ message }: { message: Message }) {
  const [state, setState] = useState<AckState | null>(null);
  const load = () => void chat.ackState(message.id).then(setState, () => undefined);
  useEffect(() => {
    load();
    return realtime.on("message.acknowledged", (e) => {
      if (Number(e.payload["message_id"] ?? e.item_id) === message.id) load();
    });
  }, [message.id]);
  if (!state || state.nations.length === 0) return null;
  const mine = me.value?.nation;
  return (
    <div class="chips ack-chips" data-testid={`ack-${message.id}`}>
      {state.nations.map((n) => {
        const done = !!n.acknowledged_at;
        const due = state.deadline && !done ? countdown(state.deadline, now.value) : null;
        return (
          <span key={n.nation} class={`chip ${done ? "approved" : due?.overdue ? "rejected" : "pending"}`} data-state={done ? "acknowledged" : "pending"} data-nation={n.nation}>
            <b>{n.nation}</b>{" "}
            {done ? (
              <>
                ✓ {t("chat.acknowledged_by", { name: personName(n.acknowledged_by) })} · <Time value={n.acknowledged_at!} />
              </>
            ) : (
              <>
                … {t("chat.awaiting_ack")} {due && <span>· {due.text}</span>}
              </>
            )}
          </span>
        );
      })}
      {mine && state.nations.some((n) => n.nation === mine && !n.acknowledged_at) && message.author_nation !== mine && (
        <button class="ack" onClick={() => void acknowledge(message).then(load)} data-testid={`ack-button-${message.id}`}>
          {t("alert.acknowledge")}
        </button>
      )}
    </div>
  );
}

/** A paper clip drawn inline: no emoji font is assumed on the watch floor's machines. */
function Clip() {
  return (
    <svg class="clip" viewBox="0 0 16 16" width="13" height="13" aria-hidden="true">
      <path d="M10.5 4.5 5.8 9.2a1.2 1.2 0 0 0 1.7 1.7l5-5a2.6 2.6 0 0 0-3.7-3.7l-5.2 5.2a4 4 0 0 0 5.7 5.7L13.5 9" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" />
    </svg>
  );
}

/** "2.4 MB", "812 kB", "96 bytes" in the reader's language and digits. */
function fileSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return formatNumber(bytes / (1024 * 1024), { style: "unit", unit: "megabyte", maximumFractionDigits: 1 });
  if (bytes >= 1024) return formatNumber(bytes / 1024, { style: "unit", unit: "kilobyte", maximumFractionDigits: 0 });
  return formatNumber(bytes, { style: "unit", unit: "byte", unitDisplay: "long" });
}

function Attachments({ message }: { message: Message }) {
  const files = message.attachments ?? [];
  if (message.retracted_at || files.length === 0) return null;
  return (
    <ul class="attachments" aria-label={t("chat.attachments")} data-testid={`attachments-${message.id}`}>
      {files.map((a: Attachment) => (
        <li key={a.number} class="attachment" data-testid="attachment">
          <a href={attachmentUrl(message.id, a.number)} download={a.filename} title={t("chat.download", { name: a.filename })} dir="auto">
            <Clip /> {a.filename}
          </a>{" "}
          <span class="muted small">{fileSize(a.size)}</span>
        </li>
      ))}
    </ul>
  );
}

function MessageRow({ message, onChange }: { message: Message; onChange: () => void }) {
  const own = message.author_id === me.value?.id;
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function run(action: () => Promise<unknown>) {
    setError(null);
    try {
      await action();
      setEditing(null);
      onChange();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <li class={`message prec-${message.precedence.toLowerCase()} ${own ? "own" : ""}`} data-testid="message" data-message-id={message.id} data-precedence={message.precedence}>
      <div class="message-head">
        {message.precedence !== "ROUTINE" && <span class={`prec-tag prec-${message.precedence.toLowerCase()}`} title={precedenceName(message.precedence)}>{t(PRECEDENCE_KEYS[message.precedence])}</span>}
        <b>{personName(message.author_id)}</b>
        <span class="nation-code small">{message.author_nation}</span>
        <Time value={message.posted_at} />
        <MarkingBadge marking={message.marking} compact />
        {own && !message.retracted_at && editing === null && (
          <span class="message-actions">
            <button class="link" onClick={() => setEditing(message.body)} data-testid="message-edit">
              {t("chat.edit")}
            </button>
            <button
              class="link danger-text"
              onClick={() => window.confirm(t("chat.retract_confirm")) && void run(() => chat.retract(message.id))}
              data-testid="message-retract"
            >
              {t("chat.retract")}
            </button>
          </span>
        )}
      </div>
      {editing !== null ? (
        <form class="inline-form" onSubmit={(e) => (e.preventDefault(), void run(() => chat.edit(message.id, editing)))}>
          <textarea rows={2} value={editing} onInput={(e) => setEditing(e.currentTarget.value)} dir="auto" required
                    aria-label={t("chat.edit")} data-testid="message-edit-body" />
          <button class="primary" type="submit">
            {t("chat.save")}
          </button>
          <button class="link" type="button" onClick={() => setEditing(null)}>
            {t("draw.cancel")}
          </button>
        </form>
      ) : (
        <div class="message-body" dir="auto">
          {message.retracted_at ? <i class="muted">{t("chat.retracted")}</i> : message.body}
          {message.edited_at && !message.retracted_at && <span class="muted"> ({t("chat.edited")})</span>}
        </div>
      )}
      <ErrorText error={error} />
      <Attachments message={message} />
      {(message.precedence === "FLASH" || message.precedence === "IMMEDIATE") && <AckChips message={message} />}
    </li>
  );
}

/** Search every channel one can read; a result opens its channel. */
function Search() {
  const [q, setQ] = useState("");
  const [results, setResults] = useState<Message[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function search(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      setResults(q.trim() ? await chat.search(q.trim()) : null);
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="chat-search stack" onSubmit={search} role="search">
      <input type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} placeholder={t("chat.search")}
             aria-label={t("chat.search")} data-testid="chat-search" />
      <ErrorText error={error} />
      {results && (
        <ul class="search-results" data-testid="chat-results">
          {results.length === 0 && <li class="muted">{t("chat.no_results")}</li>}
          {results.map((m) => (
            <li key={m.id}>
              <a href={`/chat/${m.channel_id}`} onClick={(e) => (e.preventDefault(), navigate(`/chat/${m.channel_id}`))}>
                <b>{personName(m.author_id)}</b> <Time value={m.posted_at} />
                <div dir="auto" class="muted">{m.body.slice(0, 120)}</div>
              </a>
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}

function Composer({ channel, onSent }: { channel: Channel; onSent: () => void }) {
  const [body, setBody] = useState("");
  const [precedence, setPrecedence] = useState<Precedence>("ROUTINE");
  const [marking, setMarking] = useState<MarkingInput>({
    level: channel.max_marking.level === "UNCLASSIFIED" ? "UNCLASSIFIED" : "RESTRICTED",
    releasable_to: channel.max_marking.releasable_to,
    tlp: "AMBER",
    caveats: [],
  });
  const [showMarking, setShowMarking] = useState(false);
  const [files, setFiles] = useState<File[]>([]);
  const [error, setError] = useState<unknown>(null);
  const picker = useRef<HTMLInputElement>(null);
  async function send(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      await chat.post(channel.id, body, precedence, marking, files);
      setBody("");
      setPrecedence("ROUTINE");
      setFiles([]);
      onSent();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="composer" onSubmit={send} aria-label={t("chat.compose")}>
      {showMarking && <MarkingPicker value={marking} onChange={setMarking} />}
      <div class="composer-row">
        <select name="precedence" value={precedence} onChange={(e) => setPrecedence(e.currentTarget.value as Precedence)} aria-label={t("chat.precedence")} class={`prec-select prec-${precedence.toLowerCase()}`}>
          {PRECEDENCES.map((p) => (
            <option key={p} value={p}>
              {precedenceName(p)}
            </option>
          ))}
        </select>
        <button type="button" class="secondary" onClick={() => setShowMarking(!showMarking)} aria-expanded={showMarking}>
          {t("marking.title")}
        </button>
        <textarea
          name="body"
          rows={2}
          value={body}
          dir="auto"
          onInput={(e) => setBody(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey) {
              e.preventDefault();
              (e.currentTarget.form as HTMLFormElement).requestSubmit();
            }
          }}
          placeholder={t("chat.placeholder")}
          aria-label={t("chat.compose")}
          required
        />
        <button type="button" class="secondary" onClick={() => picker.current?.click()} data-testid="attach">
          <Clip /> {t("chat.attach")}
        </button>
        <input
          ref={picker}
          type="file"
          name="files"
          multiple
          hidden
          aria-label={t("chat.attach")}
          onChange={(e) => {
            const chosen = Array.from(e.currentTarget.files ?? []);
            setFiles((before) => [...before, ...chosen]);
            e.currentTarget.value = "";
          }}
        />
        <button class="primary" type="submit" data-testid="send">
          {t("chat.send")}
        </button>
      </div>
      {files.length > 0 && (
        <ul class="attachments pending" aria-label={t("chat.attachments")} data-testid="pending-files">
          {files.map((f, i) => (
            <li key={`${f.name}-${i}`} class="attachment">
              <span dir="auto"><Clip /> {f.name}</span> <span class="muted small">{fileSize(f.size)}</span>{" "}
              <button
                type="button"
                class="link"
                onClick={() => setFiles(files.filter((_, j) => j !== i))}
                aria-label={t("chat.remove_file", { name: f.name })}
              >
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorText error={error} />
    </form>
  );
}

export function Chat() {
  const [channels, setChannels] = useState<Channel[] | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [error, setError] = useState<unknown>(null);
  const list = useRef<HTMLOListElement>(null);
  const selected = Number(route.value.params[0] ?? 0) || channels?.[0]?.id || 0;
  const channel = channels?.find((c) => c.id === selected) ?? null;

  async function loadChannels() {
    try {
      setChannels(await chat.channels());
    } catch (err) {
      setError(err);
    }
  }
  async function loadMessages() {
    if (!selected) return;
    try {
      const page = await chat.history(selected);
      setMessages(page.items.slice().reverse());
      const newest = page.items[0];
      if (newest) void chat.read(newest.id).then(loadChannels, () => undefined);
    } catch (err) {
      setError(err);
    }
  }
  useEffect(() => {
    void loadChannels();
    return realtime.on("channel", () => void loadChannels());
  }, [realtime.resyncs.value]);
  useEffect(() => {
    void loadMessages();
    return realtime.on("message", (e) => {
      if (Number(e.payload["channel_id"]) === selected) void loadMessages();
      else void loadChannels();
    });
  }, [selected, realtime.resyncs.value]);
  useEffect(() => {
    list.current?.lastElementChild?.scrollIntoView({ block: "end" });
  }, [messages.length]);

  if (error instanceof ApiError && error.status === 404 && channels === null) return <Pending title={t("nav.chat")} />;
  return (
    <main class="chat" data-testid="chat">
      <nav class="channel-list" aria-label={t("chat.channels")}>
        <h2>{t("chat.channels")}</h2>
        <Search />
        {(channels ?? []).map((c) => (
          <a
            key={c.id}
            href={`/chat/${c.id}`}
            class={c.id === selected ? "active" : ""}
            onClick={(e) => (e.preventDefault(), navigate(`/chat/${c.id}`))}
            data-testid={`channel-${c.id}`}
          >
            <span class="channel-name">{c.name}</span>
            {c.unread > 0 && <span class="badge">{formatNumber(c.unread)}</span>}
          </a>
        ))}
      </nav>
      <section class="thread">
        {channel && (
          <header class="thread-head">
            <h1>{channel.name}</h1>
            <span class="muted">{t("chat.ceiling")}</span> <MarkingBadge marking={channel.max_marking} counts={false} />
          </header>
        )}
        <ErrorText error={error} />
        <ol class="messages" ref={list}>
          {messages.map((m) => (
            <MessageRow key={m.id} message={m} onChange={() => void loadMessages()} />
          ))}
        </ol>
        {channel && <Composer channel={channel} onSent={() => void loadMessages()} />}
      </section>
    </main>
  );
}
