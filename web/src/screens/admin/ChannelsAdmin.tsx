import { useEffect, useState } from "preact/hooks";
import { api } from "../../api";
import { ErrorText } from "../../components/ErrorText";
import { MarkingBadge } from "../../components/MarkingBadge";
import { defaultMarking, type MarkingInput, MarkingPicker } from "../../components/MarkingPicker";
import type { Channel } from "../../features/chat";
import { directory, loadDirectory, personName } from "../../features/directory";
import { t, tk } from "../../i18n";
import { hasRole, me } from "../../session";

const KIND: Record<string, string> = {
  centre: tk("admin.channel_kind.centre"), nation: tk("admin.channel_kind.nation"),
  operation: tk("admin.channel_kind.operation"), incident: tk("admin.channel_kind.incident"),
  direct: tk("admin.channel_kind.direct"),
};
const kindName = (k: string) => (KIND[k] ? t(KIND[k]) : k);
/** Members are listed (and added) only on operation and incident channels; the others are open to
 * their nations (domain/channels.py). */
const LISTED = new Set(["operation", "incident"]);

/** A centre-wide or national channel, created by the nation's administrators (domain/ownership.py). */
function NewChannelForm({ onCreated }: { onCreated: () => void }) {
  const own = me.value?.nation ?? "";
  const [kind, setKind] = useState<"nation" | "centre">("nation");
  const [name, setName] = useState("");
  const [marking, setMarking] = useState<MarkingInput>(defaultMarking());
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      const ceiling = kind === "nation" ? { ...marking, releasable_to: [] } : marking;
      await api.post("/api/channels", { kind, name, max_marking: ceiling, nation: kind === "nation" ? own : undefined });
      setName("");
      onCreated();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="card inline-form" onSubmit={submit} aria-label={t("admin.channel_new")} data-testid="channel-form">
      <h2>{t("admin.channel_new")}</h2>
      <label>
        {t("admin.channel_kind")}
        <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as "nation" | "centre")}>
          <option value="nation">{kindName("nation")}</option>
          <option value="centre">{kindName("centre")}</option>
        </select>
      </label>
      <label>
        {t("admin.channel_name")}
        <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={200} dir="auto" />
      </label>
      {kind === "centre"
        ? <MarkingPicker value={marking} onChange={setMarking} />
        : <p class="muted">{t("admin.channel_nation_rule", { nation: own })}</p>}
      <button class="primary" type="submit">{t("admin.channel_create")}</button>
      <ErrorText error={error} />
    </form>
  );
}

function AddMember({ channel, onAdded }: { channel: Channel; onAdded: () => void }) {
  const [personId, setPersonId] = useState("");
  const [mayPost, setMayPost] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const audience = new Set([channel.max_marking.originator, ...channel.max_marking.releasable_to]);
  const candidates = [...directory.value.values()]
    .filter((p) => audience.has(p.nation) && !channel.members.includes(p.id))
    .sort((a, b) => a.display_name.localeCompare(b.display_name));
  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      await api.post(`/api/channels/${channel.id}/members`, { person_id: Number(personId), may_post: mayPost });
      setPersonId("");
      onAdded();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="inline-form" onSubmit={submit} data-testid="member-form">
      <select aria-label={t("admin.member")} value={personId} required onChange={(e) => setPersonId(e.currentTarget.value)}>
        <option value="">{t("admin.member_pick")}</option>
        {candidates.map((p) => <option key={p.id} value={p.id}>{p.display_name} ({p.nation})</option>)}
      </select>
      <label class="check">
        <input type="checkbox" checked={mayPost} onChange={(e) => setMayPost(e.currentTarget.checked)} />
        {t("admin.member_may_post")}
      </label>
      <button class="secondary" type="submit">{t("admin.member_add")}</button>
      <ErrorText error={error} />
    </form>
  );
}

/** The channels one takes part in; administrators create their nation's and centre-wide channels,
 * liaison officers and commanders add members to operation and incident channels. */
export function ChannelsAdmin() {
  const [channels, setChannels] = useState<Channel[]>([]);
  const [error, setError] = useState<unknown>(null);
  async function load() {
    try {
      setChannels(await api.get<Channel[]>("/api/channels"));
    } catch (err) {
      setError(err);
    }
  }
  useEffect(() => {
    void load();
    void loadDirectory(true);
  }, []);
  const addsMembers = hasRole("liaison_officer") || hasRole("commander");
  return (
    <section aria-label={t("admin.tab.channels")}>
      <ErrorText error={error} />
      <table class="grid" data-testid="channels">
        <thead><tr>
          <th>{t("admin.channel_name")}</th><th>{t("admin.channel_kind")}</th><th>{t("chat.ceiling")}</th>
          <th>{t("admin.members")}</th>
        </tr></thead>
        <tbody>
          {channels.map((c) => (
            <tr key={c.id} data-testid="channel-row">
              <td><bdi>{c.name}</bdi></td>
              <td>{kindName(c.kind)}{c.nation ? <> · <code dir="ltr">{c.nation}</code></> : null}</td>
              <td><MarkingBadge marking={c.max_marking} compact counts={false} /></td>
              <td>
                {LISTED.has(c.kind) ? (
                  <>
                    <ul class="plain">{c.members.map((id) => <li key={id}><bdi>{personName(id)}</bdi></li>)}</ul>
                    {addsMembers && <AddMember channel={c} onAdded={() => void load()} />}
                  </>
                ) : <span class="muted">{c.kind === "nation" ? t("admin.members_nation", { nation: c.nation ?? "" })
                  : c.kind === "centre" ? t("admin.members_centre") : c.members.map((id) => personName(id)).join(", ")}</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {hasRole("administrator") && <NewChannelForm onCreated={() => void load()} />}
    </section>
  );
}
