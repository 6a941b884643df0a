import { Fragment } from "preact";
import { banner } from "../markings";

/** The classification banner: top and bottom of every screen, the highest marking on screen. */
export function ClassificationBanner({ position }: { position: "top" | "bottom" }) {
  const b = banner.value;
  return (
    <div
      class={`class-banner ${b.cls} ${position}`}
      role={position === "top" ? "banner" : undefined}
      data-level={b.level}
      data-testid={`banner-${position}`}
    >
      {/* Each segment isolated: an Arabic label beside Latin codes must not reorder them. */}
      {b.segments.map((segment, i) => (
        <Fragment key={i}>
          {i > 0 && " // "}
          <bdi>{segment}</bdi>
        </Fragment>
      ))}
    </div>
  );
}
