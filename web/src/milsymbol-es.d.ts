// Types for the alias "milsymbol-es" (vite.config.ts): milsymbol's ES module with named parts.
declare module "milsymbol-es" {
  import type * as milsymbol from "milsymbol";
  export const ms: typeof milsymbol & { addIcons(parts: unknown): void };
  export const std2525c: unknown;
}
