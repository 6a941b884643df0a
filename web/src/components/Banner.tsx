import { banner } from "../markings";

/** The classification banner: top and bottom of every screen, the highest marking on screen. */
export function ClassificationBanner({ position }: { position: "top" | "bottom" }) {
  const b = banner.value;
  return (
    <div class={`class-banner ${b.cls} ${position}`} role={position === "top" ? "banner" : undefined} data-level={b.level}>
      {b.text}
    </div>
  );
}
