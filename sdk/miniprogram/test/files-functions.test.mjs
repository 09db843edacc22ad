// File upload through wx.uploadFile, file URLs, and cloud functions
// (pb_hooks routes) against the real server.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Device, plain } from "./helpers/device.mjs";
import { creatorOnly, ownerField, startServer } from "./helpers/server.mjs";

let server;
let files;
let png;
let text;

// A 1x1 PNG.
const pngBytes = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

const functions = `
// Echoes the caller and the body: what callFunction sends.
routerAdd("POST", "/api/functions/echo", (e) => {
    return e.json(200, { user: e.auth ? e.auth.id : null, body: e.requestInfo().body });
});

// Answers after a second: a request still in flight, to cancel.
routerAdd("POST", "/api/functions/slow", (e) => {
    sleep(1000);
    return e.json(200, { done: true });
});

// The README's example: server code reads what clients never see.
routerAdd("POST", "/api/functions/whoami", (e) => {
    const account = $app.findFirstRecordByFilter("wechat_accounts", "user = {:user}", { user: e.auth.id });
    return e.json(200, { openid: account.get("openid"), user: e.auth.id });
}, $apis.requireAuth());
`;

async function signIn(user) {
    const device = new Device({ user });
    const { sdk } = device.launch();
    const app = sdk.init({ baseURL: server.url });
    const login = await app.login();
    return { app, device, sdk, id: login.record.id, openid: login.openid };
}

async function download(url) {
    const res = await fetch(url);
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

before(async () => {
    server = await startServer({ hooks: { "functions.pb.js": functions } });
    await server.createCollection({
        name: "photos",
        ...creatorOnly,
        fields: [
            ownerField,
            { name: "caption", type: "text" },
            { name: "image", type: "file", maxSelect: 1, maxSize: 1 << 20 },
            { name: "gallery", type: "file", maxSelect: 5, maxSize: 1 << 20 },
            { name: "private", type: "file", maxSelect: 1, maxSize: 1 << 20, protected: true },
        ],
    });
    files = mkdtempSync(join(tmpdir(), "wxbase-sdk-files-"));
    png = join(files, "avatar.png");
    writeFileSync(png, pngBytes);
    text = join(files, "note.txt");
    writeFileSync(text, "hello from a phone\n");
});

after(async () => {
    await server?.stop();
    if (files) rmSync(files, { recursive: true, force: true });
});

test("uploadFile sets the user's avatar with wx.uploadFile and resolves the record", async () => {
    const alice = await signIn("files-alice");
    const record = plain(await alice.app.uploadFile({ collection: "users", id: alice.id, field: "avatar", filePath: png }));
    assert.equal(record.id, alice.id);
    assert.match(record.avatar, /^avatar_\w+\.png$/);
    const [req] = alice.device.requests.filter((r) => r.api === "uploadFile");
    assert.equal(req.method, "POST");
    assert.equal(req.header["X-HTTP-Method-Override"], "PATCH");

    const file = await download(alice.app.fileURL(record, record.avatar));
    assert.equal(file.status, 200);
    assert.deepEqual(file.body, pngBytes);
});

test("uploadFile without an id creates a record, stamped with its owner", async () => {
    const alice = await signIn("files-bea");
    const record = plain(await alice.app.uploadFile({ collection: "photos", field: "image", filePath: png, data: { caption: "new" } }));
    assert.equal(record.caption, "new");
    assert.equal(record.owner, alice.id);
    // fileURL takes the facade's documents too (_id in place of id).
    const { data } = await alice.app.database().collection("photos").doc(record.id).get();
    const file = await download(alice.app.fileURL(plain(data), data.image, { download: true }));
    assert.equal(file.status, 200);
    assert.deepEqual(file.body, pngBytes);
});

test("uploadFile appends to a multi-file field, or replaces its files", async () => {
    const alice = await signIn("files-cai");
    const { _id } = await alice.app.database().collection("photos").add({ data: { caption: "gallery" } });
    await alice.app.uploadFile({ collection: "photos", id: _id, field: "gallery", filePath: png, append: true });
    const two = await alice.app.uploadFile({ collection: "photos", id: _id, field: "gallery", filePath: text, append: true });
    assert.equal(two.gallery.length, 2);
    const one = await alice.app.uploadFile({ collection: "photos", id: _id, field: "gallery", filePath: text });
    assert.equal(one.gallery.length, 1);
    assert.match(one.gallery[0], /^note_\w+\.txt$/);
});

test("a protected file needs a file token in its URL", async () => {
    const alice = await signIn("files-dov");
    const record = await alice.app.uploadFile({ collection: "photos", field: "private", filePath: text });
    const bare = await download(alice.app.fileURL(record, record.private));
    assert.notEqual(bare.status, 200);
    const token = await alice.app.fileToken();
    const withToken = await download(alice.app.fileURL(record, record.private, { token }));
    assert.equal(withToken.status, 200);
    assert.equal(withToken.body.toString(), "hello from a phone\n");
});

test("another user cannot upload into someone's record", async () => {
    const alice = await signIn("files-eve");
    const bob = await signIn("files-fin");
    const { _id } = await alice.app.database().collection("photos").add({ data: { caption: "alice's" } });
    await assert.rejects(bob.app.uploadFile({ collection: "photos", id: _id, field: "image", filePath: png }), (err) => {
        return err instanceof bob.sdk.WxbaseError && err.status === 404 && typeof err.message === "string";
    });
    const stored = await server.must("GET", `/api/collections/photos/records/${_id}`);
    assert.equal(stored.image, "");
});

test("an upload with an invalidated token logs in again and retries", async () => {
    const alice = await signIn("files-gus");
    await server.must("PATCH", `/api/collections/users/records/${alice.id}`, { tokenKey: "rotated-" + Date.now() + "-0123456789abcdef" });
    const record = await alice.app.uploadFile({ collection: "users", id: alice.id, field: "avatar", filePath: png });
    assert.match(record.avatar, /\.png$/);
    assert.equal(alice.device.requests.filter((r) => r.api === "uploadFile").length, 2);
    assert.equal(alice.device.requestsTo("/auth-with-wechat").length, 2);
});

test("a file wx cannot read fails the upload with wx's errMsg", async () => {
    const alice = await signIn("files-hu");
    await assert.rejects(
        alice.app.uploadFile({ collection: "photos", field: "image", filePath: join(files, "missing.png") }),
        (err) => err.code === "wx_upload_failed" && /file not found/.test(err.message),
    );
});

test("callFunction POSTs data as the signed-in user and resolves { result }", async () => {
    const alice = await signIn("fn-alice");
    const data = { a: 1, list: ["x", "y"], nested: { ok: true } };
    const res = plain(await alice.app.callFunction({ name: "echo", data }));
    assert.deepEqual(res, { result: { user: alice.id, body: data }, errMsg: "cloud.callFunction:ok" });
    const [req] = alice.device.requestsTo("/api/functions/echo");
    assert.equal(req.method, "POST");
});

test("callFunction reaches server code that reads the caller's openid", async () => {
    const alice = await signIn("fn-bo");
    const { result } = await alice.app.callFunction({ name: "whoami" });
    assert.deepEqual(plain(result), { openid: alice.openid, user: alice.id });
});

test("callFunction logs in first when there is no session", async () => {
    const device = new Device({ user: "fn-cy" });
    const app = device.launch().sdk.init({ baseURL: server.url });
    const { result } = await app.callFunction({ name: "echo" });
    assert.equal(device.requestsTo("/auth-with-wechat").length, 1);
    assert.equal(result.user, app.pb.authStore.record.id);
    assert.deepEqual(plain(result.body), {});
});

test("callFunction of a missing function rejects with the server's 404", async () => {
    const alice = await signIn("fn-di");
    await assert.rejects(alice.app.callFunction({ name: "nope" }), (err) => err.status === 404);
});

test("PocketBase's request cancellation aborts the wx.request in flight", async () => {
    const alice = await signIn("fn-ed");
    const pending = alice.app.pb.send("/api/functions/slow", { method: "POST", requestKey: "slow" });
    while (!alice.device.requestsTo("/api/functions/slow").length) {
        await new Promise((r) => setTimeout(r, 5));
    }
    alice.app.pb.cancelRequest("slow");
    await assert.rejects(pending, (err) => err instanceof alice.sdk.WxbaseError && err.isAbort === true && err.status === 0);
    // The client still works afterwards.
    assert.equal((await alice.app.callFunction({ name: "echo" })).result.user, alice.id);
});
