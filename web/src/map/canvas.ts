// Leaflet 1.9.4's canvas renderer with its frame bookkeeping mended. A path change asks for a redraw
// in the next animation frame; a view change (moveend, viewreset) redraws everything at once and
// forgets that request without cancelling it. Removing the renderer before that frame (signing out
// while the base map restyles or its grid is redrawn) then cancels nothing, and the frame draws on
// the destroyed canvas: "Cannot read properties of undefined (reading 'save')". Here the redraw that
// happens now cancels the one still asked for, and a removed renderer forgets its cancelled request
// (else, added again, it would never redraw: upstream Leaflet #9608).
import L from "leaflet";

interface Internals {
  _redrawRequest: number | null | undefined;
}

const base = L.Canvas.prototype as unknown as { _redraw(): void; _destroyContainer(): void };

const MendedCanvas = L.Canvas.extend({
  _redraw(this: Internals) {
    if (this._redrawRequest) L.Util.cancelAnimFrame(this._redrawRequest);
    base._redraw.call(this);
  },
  _destroyContainer(this: Internals) {
    base._destroyContainer.call(this);
    this._redrawRequest = null;
  },
}) as unknown as new (options?: L.RendererOptions) => L.Canvas;

export function canvasRenderer(options?: L.RendererOptions): L.Canvas {
  return new MendedCanvas(options);
}
