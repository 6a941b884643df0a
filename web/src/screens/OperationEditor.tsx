import type { Polygon } from "geojson";
import { useEffect, useState } from "preact/hooks";
import { AreaMap, type ContextShape } from "../components/AreaMap";
import { DraftOverlaps } from "../components/DraftOverlaps";
import { ErrorText } from "../components/ErrorText";
import { UtcInput } from "../components/UtcInput";
import { defaultMarking, MarkingPicker, withAddressed, type MarkingInput } from "../components/MarkingPicker";
import { offers } from "../capabilities";
import { operations, type DraftOverlap, type OperationInput } from "../features/operations";
import "../features/tracks";
import { formatNumber, t } from "../i18n";
import { LAYER_LABELS, LAYERS, type MapItem } from "../map/layers";
import { navigate } from "../router";
import { me, nations } from "../session";

/** UtcInput values ("2026-12-07T14:30") are read as UTC (the labels say Z). */
const toInput = (iso: string) => iso.slice(0, 16);
const fromInput = (value: string) => `${value}:00Z`;
const hoursFromNow = (h: number) => toInput(new Date(Date.now() + h * 3600_000).toISOString());

/** What the planner sees around the draft: the operating picture's own layers, as they stand now. */
const CONTEXT_LAYERS = ["operations", "sites", "tracks"] as const;
type ContextLayer = (typeof CONTEXT_LAYERS)[number];
const OVERLAP_COLOUR = "#e040fb";
// Long enough that a planner typing a time does not fire a check per keystroke.
const CHECK_DELAY_MS = 400;

async function loadContext(): Promise<Record<ContextLayer, MapItem[]>> {
  const loaded = await Promise.all(
    CONTEXT_LAYERS.map(async (id) => {
      const spec = LAYERS.find((l) => l.id === id);
      // A layer this server does not offer, or one that fails, leaves the others standing.
      if (!spec || !offers(spec.path)) return [];
      return spec.load(null).catch(() => [] as MapItem[]);
    }),
  );
  return { operations: loaded[0]!, sites: loaded[1]!, tracks: loaded[2]! };
}

function contextShapes(items: MapItem[], layer: ContextLayer, except?: string): ContextShape[] {
  const colour = LAYERS.find((l) => l.id === layer)?.color ?? "#8798a9";
  return items
    .filter((i) => i.key !== except)
    .map((i) => ({ key: i.key, geometry: i.geometry, color: i.color ?? colour, dashed: i.dashed, label: i.title }));
}

export function OperationEditor({ id }: { id?: number }) {
  const own = me.value?.nation ?? "";
  const [name, setName] = useState("");
  const [objective, setObjective] = useState("");
  const [participants, setParticipants] = useState<string[]>([own]);
  const [starts, setStarts] = useState(hoursFromNow(24));
  const [ends, setEnds] = useState(hoursFromNow(72));
  const [area, setArea] = useState<Polygon | null>(null);
  const [marking, setMarking] = useState<MarkingInput>(defaultMarking());
  const [phases, setPhases] = useState<{ name: string; starts: string; ends: string }[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // Approvals bind content: saving a proposed or approved plan makes the next version (the server's rule).
  const [reversion, setReversion] = useState<number | null>(null);
  const [context, setContext] = useState<Record<ContextLayer, MapItem[]> | null>(null);
  const [shown, setShown] = useState<ReadonlySet<ContextLayer>>(new Set(CONTEXT_LAYERS));
  const [overlaps, setOverlaps] = useState<DraftOverlap[] | null>(null);
  const [checking, setChecking] = useState(false);
  const [checkError, setCheckError] = useState<unknown>(null);

  useEffect(() => {
    void loadContext().then(setContext);
  }, []);

  // The live check: whenever the area or the window changes, ask what the draft would overlap now.
  useEffect(() => {
    if (!area || !offers("/api/operations/deconfliction-preview")) {
      setOverlaps(null);
      return;
    }
    let current = true;
    setChecking(true);
    const timer = setTimeout(() => {
      operations
        .previewDraft({ area, window: { starts_at: fromInput(starts), ends_at: fromInput(ends) }, operation_id: id })
        .then(
          (found) => {
            if (!current) return;
            setOverlaps(found);
            setCheckError(null);
          },
          (err) => {
            if (!current) return;
            setOverlaps(null);
            setCheckError(err);
          },
        )
        .finally(() => current && setChecking(false));
    }, CHECK_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [JSON.stringify(area), starts, ends, id]);

  useEffect(() => {
    if (!id) return;
    void operations.get(id).then((op) => {
      setReversion(op.status === "proposed" || op.status === "approved" ? op.version + 1 : null);
      setName(op.plan.name);
      setObjective(op.plan.objective);
      setParticipants(op.plan.participants);
      setStarts(toInput(op.plan.window.starts_at));
      setEnds(toInput(op.plan.window.ends_at));
      if (op.plan.area.type === "Polygon") setArea(op.plan.area);
      setMarking({ level: op.marking.level, releasable_to: op.marking.releasable_to, tlp: op.marking.tlp, caveats: op.marking.caveats });
      setPhases(op.plan.phases.map((p) => ({ name: p.name, starts: toInput(p.window.starts_at), ends: toInput(p.window.ends_at) })));
    }, setError);
  }, [id]);

  async function save(e: Event) {
    e.preventDefault();
    if (!area) {
      setError(new Error(t("ops.area_required")));
      return;
    }
    setBusy(true);
    setError(null);
    const body: OperationInput = {
      name,
      objective,
      participants: [...new Set([own, ...participants])],
      marking: withAddressed(marking, participants),
      area,
      window: { starts_at: fromInput(starts), ends_at: fromInput(ends) },
      phases: phases.map((p) => ({ name: p.name, window: { starts_at: fromInput(p.starts), ends_at: fromInput(p.ends) } })),
      tasks: [],
    };
    try {
      const saved = id ? await operations.update(id, body) : await operations.create(body);
      navigate(`/operations/${saved.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const mapContext: ContextShape[] = [
    ...(context ? CONTEXT_LAYERS.filter((l) => shown.has(l)).flatMap((l) => contextShapes(context[l], l, id ? `operation-${id}` : undefined)) : []),
    ...(overlaps ?? []).map((o) => ({ key: `overlap-${o.item}`, geometry: o.overlap, color: OVERLAP_COLOUR, label: o.name })),
  ];
  const toggleShown = (layer: ContextLayer) => {
    const next = new Set(shown);
    if (next.has(layer)) next.delete(layer);
    else next.add(layer);
    setShown(next);
  };

  const toggle = (code: string) =>
    setParticipants(participants.includes(code) ? participants.filter((c) => c !== code) : [...participants, code]);

  return (
    <main class="page operation-editor">
      <h1>{id ? t("ops.edit") : t("ops.new")}</h1>
      {reversion !== null && (
        <p class="hint" role="note" data-testid="new-version-rule">
          {t("ops.new_version_rule", { version: reversion })}
        </p>
      )}
      <form class="split" onSubmit={save} aria-label={t("ops.new")}>
        <div class="stack">
          <label>
            {t("ops.name")}
            <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={200} />
          </label>
          <label>
            {t("ops.objective")}
            <textarea name="objective" value={objective} onInput={(e) => setObjective(e.currentTarget.value)} required rows={3} />
          </label>
          <div class="field">
            <span>{t("ops.participants")}</span>
            <div class="chips">
              {nations.value.map((n) => (
                <label key={n.code} class="check">
                  <input type="checkbox" name={`part-${n.code}`} checked={n.code === own || participants.includes(n.code)} disabled={n.code === own} onChange={() => toggle(n.code)} />
                  {n.code}
                </label>
              ))}
            </div>
          </div>
          <div class="row">
            <label>
              {t("ops.starts")}
              <UtcInput name="starts_at" value={starts} onInput={setStarts} required />
            </label>
            <label>
              {t("ops.ends")}
              <UtcInput name="ends_at" value={ends} onInput={setEnds} required />
            </label>
          </div>
          <div class="field">
            <span>{t("ops.phases")}</span>
            {phases.map((p, i) => (
              <div class="row phase-row" key={i}>
                <input aria-label={t("ops.phase")} value={p.name} onInput={(e) => setPhases(phases.map((q, j) => (j === i ? { ...q, name: e.currentTarget.value } : q)))} required />
                <UtcInput label={t("ops.starts")} value={p.starts} onInput={(v) => setPhases(phases.map((q, j) => (j === i ? { ...q, starts: v } : q)))} required />
                <UtcInput label={t("ops.ends")} value={p.ends} onInput={(v) => setPhases(phases.map((q, j) => (j === i ? { ...q, ends: v } : q)))} required />
                <button type="button" class="link" onClick={() => setPhases(phases.filter((_, j) => j !== i))}>
                  ✕
                </button>
              </div>
            ))}
            <button type="button" class="link" onClick={() => setPhases([...phases, { name: "", starts, ends }])}>
              + {t("ops.add_phase")}
            </button>
          </div>
          <MarkingPicker value={marking} onChange={setMarking} addressed={participants.filter((c) => c !== own)} />
          <ErrorText error={error} />
          <div class="row-actions">
            <button class="primary" type="submit" disabled={busy} data-testid="save-operation">
              {t("ops.save")}
            </button>
            <button type="button" class="secondary" onClick={() => navigate(id ? `/operations/${id}` : "/operations")}>
              {t("draw.cancel")}
            </button>
          </div>
        </div>
        <div class="stack">
          <AreaMap shapes={area ? [{ geometry: area, color: "#ffd33d" }] : []} context={mapContext} onDraw={setArea} testId="editor-map" />
          <div class="chips context-layers" role="group" aria-label={t("ops.context")}>
            <span class="muted">{t("ops.context")}</span>
            {CONTEXT_LAYERS.map((l) => (
              <label key={l} class="check">
                <input type="checkbox" name={`context-${l}`} checked={shown.has(l)} onChange={() => toggleShown(l)} />
                <span class="swatch" style={{ background: LAYERS.find((s) => s.id === l)?.color }} />
                {t(LAYER_LABELS[l])}
                {context && <span class="muted"> ({formatNumber(context[l].length)})</span>}
              </label>
            ))}
          </div>
          <p class="muted">{area ? t("ops.area_set", { corners: area.coordinates[0]!.length - 1 }) : t("ops.area_missing")}</p>
          <DraftOverlaps found={overlaps} checking={checking} />
          <ErrorText error={checkError} />
        </div>
      </form>
    </main>
  );
}
