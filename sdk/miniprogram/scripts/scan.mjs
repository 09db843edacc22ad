// Checks on the built bundle, used by the tests (test/bundle.test.mjs):
// which banned globals it still refers to, and whether its syntax is ES2017.
import * as esbuild from "esbuild";

/** The globals a mini-program does not have, which the bundle must not use. */
export const bannedGlobals = ["fetch", "EventSource", "FormData", "AbortController", "TextDecoder", "window", "globalThis"];

const marker = "__wxbase_free_global_";

/**
 * freeGlobals lists which of names the code refers to as globals (free,
 * unbound references), guarded ones like `typeof window` included. esbuild's
 * parser does the scope analysis: `define` replaces only references that no
 * declaration in scope binds, so `obj.fetch` or a local `fetch` stay as they are.
 */
export async function freeGlobals(code, names = bannedGlobals) {
    const define = Object.fromEntries(names.map((name) => [name, marker + name]));
    const { code: out } = await esbuild.transform(code, { define, format: "cjs", logLevel: "silent" });
    return names.filter((name) => out.includes(marker + name));
}

/**
 * newerThanES2017 reports whether the code uses syntax after ES2017: esbuild
 * rewrites such syntax (?., ??, object spread, class fields, ...) when told
 * to target ES2017, so a bundle that is ES2017 already comes out unchanged.
 */
export async function newerThanES2017(code) {
    const opts = { format: "cjs", logLevel: "silent" };
    const asIs = await esbuild.transform(code, { ...opts, target: "esnext" });
    const lowered = await esbuild.transform(code, { ...opts, target: "es2017" });
    return asIs.code !== lowered.code;
}
