import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

// The built interface is served by the FastAPI app from concord/web/dist (see concord/api/web.py).
const outDir = fileURLToPath(new URL("../concord/web/dist", import.meta.url));

export default defineConfig({
  base: "/",
  resolve: {
    alias: {
      // milsymbol's package entry registers every standard (~860 kB); its ES module file lets us
      // take the core and MIL-STD-2525C only (letter SIDCs, what Cursor-on-Target types map to).
      "milsymbol-es": fileURLToPath(new URL("./node_modules/milsymbol/index.mjs", import.meta.url)),
    },
  },
  // Preact's automatic JSX runtime through esbuild: no framework plugin needed.
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir,
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    // The map chunk carries milsymbol's 2525C icon set (~210 kB gzipped); the shell stays ~20 kB.
    chunkSizeWarningLimit: 900,
    assetsInlineLimit: 4096,
  },
  server: {
    // `npm run dev` against a running `concord demo` on the default port.
    proxy: {
      "/api": { target: "http://127.0.0.1:8000", ws: true },
      "/public": "http://127.0.0.1:8000",
    },
  },
});
