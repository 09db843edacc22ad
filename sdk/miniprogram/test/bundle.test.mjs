// The built bundle: self-contained, ES2017, and free of the globals a
// mini-program lacks. No server needed.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { bannedGlobals, freeGlobals, newerThanES2017 } from "../scripts/scan.mjs";
import { bundlePath, Device } from "./helpers/device.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = readFileSync(bundlePath, "utf8");

test("the scanner flags free uses of banned globals, guarded ones too", async () => {
    const snippet = `
        fetch("/api");
        new FormData();
        if (typeof window !== "undefined") window.x = 1;
        globalThis.y = 2;
        const d = new TextDecoder();
        new AbortController(); new EventSource("/x");`;
    assert.deepEqual((await freeGlobals(snippet)).sort(), [...bannedGlobals].sort());
});

test("the scanner leaves properties, locals and parameters alone", async () => {
    const snippet = `
        const client = { fetch() {}, FormData: 1 };
        client.fetch();
        function send(fetch) { return fetch("/x"); }
        var window = {}; window.open();
        class A { TextDecoder() {} }`;
    assert.deepEqual(await freeGlobals(snippet), []);
});

test("the built bundle uses none of the banned globals", async () => {
    assert.deepEqual(await freeGlobals(bundle), []);
});

test("the ES2017 check flags newer syntax", async () => {
    assert.equal(await newerThanES2017("const a = b?.c ?? 1;"), true);
    assert.equal(await newerThanES2017("const a = { ...b };"), true);
    assert.equal(await newerThanES2017("class A { #x = 1; }"), true);
    assert.equal(await newerThanES2017("async function f() { const { a, ...rest } = await g(); }"), true);
    assert.equal(await newerThanES2017("async function f() { return Object.entries(await g()); }"), false);
});

test("the built bundle is ES2017", async () => {
    assert.equal(await newerThanES2017(bundle), false);
});

test("the bundle requires nothing: one self-contained file", () => {
    assert.doesNotMatch(bundle, /\brequire\s*\(/);
});

test("package.json points WeChat's npm build and require() at the bundle", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    assert.equal(pkg.miniprogram, "miniprogram_dist");
    assert.equal(join(root, pkg.main), bundlePath);
    assert.deepEqual(pkg.dependencies || {}, {}, "the bundle includes its dependencies; WeChat's npm build must not pack others");
});

test("the bundle loads in a sandbox that has none of the banned globals", () => {
    const { sdk, missing } = new Device().launch();
    assert.deepEqual(missing, bannedGlobals);
    assert.equal(typeof sdk.init, "function");
    assert.equal(typeof sdk.WxbaseError, "function");
    assert.equal(typeof sdk.PocketBase, "function");
});

test("the wx emulation refuses PATCH, as WeChat does", async () => {
    const { run } = new Device().launch();
    const res = await new Promise((resolve) => run("wx").request({ url: "http://127.0.0.1:9/x", method: "PATCH", success: resolve, fail: resolve }));
    assert.match(res.errMsg, /^request:fail/);
});

test("init() without a baseURL is a clear error", () => {
    const { sdk } = new Device().launch();
    assert.throws(() => sdk.init({}), (err) => err instanceof sdk.WxbaseError && err.code === "wxbase_unsupported" && /baseURL/.test(err.message));
});

test("realtime subscriptions reject clearly: wx has no EventSource", async () => {
    const { sdk } = new Device().launch();
    const app = sdk.init({ baseURL: "http://127.0.0.1:9" });
    await assert.rejects(app.pb.collection("todos").subscribe("*", () => {}), (err) => err.code === "wxbase_unsupported" && /EventSource/.test(err.message));
});

test("an unreachable server rejects with wx's failure, status 0", async () => {
    const { sdk } = new Device().launch();
    const app = sdk.init({ baseURL: "http://127.0.0.1:9" });
    await assert.rejects(app.login(), (err) => err instanceof sdk.WxbaseError && err.status === 0 && err.code === "wx_request_failed" && /^wx\.request failed: request:fail/.test(err.message));
});
