// Builds miniprogram_dist/index.js (the one file a mini-program loads) and
// types/pocketbase.d.ts. With --check, builds into a temporary directory and
// fails if the committed files differ: CI runs that (npm run check:dist).
import * as esbuild from "esbuild";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const check = process.argv.includes("--check");
const out = check ? mkdtempSync(join(tmpdir(), "wxbase-dist-")) : root;

// Of the globals a mini-program lacks, the PocketBase SDK uses fetch,
// FormData, AbortController and EventSource: those bind to our adapters by
// injection (src/adapters/inject.ts). window and globalThis appear only
// behind `typeof` guards there, so they become plain undefined.
const definedUndefined = ["window", "globalThis"];

async function build() {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const pbPkg = JSON.parse(readFileSync(join(root, "node_modules/pocketbase/package.json"), "utf8"));
    await esbuild.build({
        absWorkingDir: root,
        entryPoints: ["src/index.ts"],
        outfile: join(out, "miniprogram_dist/index.js"),
        bundle: true,
        format: "cjs",
        platform: "neutral",
        target: "es2017",
        // Resolves "pocketbase" to its ESM build (its package "exports").
        mainFields: ["module", "main"],
        tsconfig: join(root, "tsconfig.build.json"),
        inject: ["src/adapters/inject.ts"],
        define: Object.fromEntries(definedUndefined.map((name) => [name, "undefined"])),
        banner: {
            js: `/* ${pkg.name} ${pkg.version} with pocketbase ${pbPkg.version} (MIT). Built by scripts/build.mjs from src/: do not edit. */`,
        },
        legalComments: "none",
        charset: "utf8",
        logLevel: "warning",
    });

    // PocketBase's declarations name DOM types (Response, FormData, ...);
    // point them at the stand-ins so a project without "dom" type-checks.
    const dts = readFileSync(join(root, "node_modules/pocketbase/dist/pocketbase.es.d.mts"), "utf8");
    const header =
        `// PocketBase JS SDK ${pbPkg.version} declarations, copied by scripts/build.mjs with\n` +
        `// its DOM types replaced by the stand-ins of ./web-standins. Do not edit.\n` +
        `import type { Blob, EventListener, File, FormData, RequestInfo, RequestInit, Response, URL } from "./web-standins";\n`;
    mkdirSync(join(out, "types"), { recursive: true });
    writeFileSync(join(out, "types/pocketbase.d.ts"), header + dts);
}

await build();

if (check) {
    const generated = ["miniprogram_dist/index.js", "types/pocketbase.d.ts"];
    const stale = generated.filter((file) => {
        const committed = join(root, file);
        return !existsSync(committed) || readFileSync(committed, "utf8") !== readFileSync(join(out, file), "utf8");
    });
    rmSync(out, { recursive: true, force: true });
    if (stale.length) {
        console.error(`Out of date: ${stale.join(", ")}. Run \`npm run build\` in ${relative(process.cwd(), root) || "."} and commit the result.`);
        process.exit(1);
    }
    console.log("miniprogram_dist and types/pocketbase.d.ts match their sources.");
}
