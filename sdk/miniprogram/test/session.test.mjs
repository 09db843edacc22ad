// Sessions against the real server: login, restore after an app restart,
// ensureLogin, one shared login, re-login after a 401, refresh near expiry.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Device, plain } from "./helpers/device.mjs";
import { creatorOnly, ownerField, startServer } from "./helpers/server.mjs";

let server;

before(async () => {
    server = await startServer({
        hooks: {
            // Answers 401 every time: the SDK must re-login once, retry once, then give up.
            "always401.pb.js": `routerAdd("POST", "/api/functions/always401", (e) => e.json(401, { status: 401, message: "Never.", data: {} }))`,
        },
    });
    await server.createCollection({ name: "notes", ...creatorOnly, fields: [ownerField, { name: "title", type: "text" }] });
});

after(async () => {
    await server?.stop();
});

const logins = (device) => device.requestsTo("/auth-with-wechat").length;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tokenExp = (token) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).exp;

test("login signs in with wx.login, reports a new user once, and keeps the token in wx storage", async () => {
    const device = new Device({ user: "login-alice" });
    const app = device.launch().sdk.init({ baseURL: server.url });
    const first = plain(await app.login());
    assert.equal(first.isNew, true);
    assert.equal(first.record.collectionName, "users");
    assert.ok(first.openid);
    const stored = JSON.parse(device.storage.get("wxbase_auth"));
    assert.equal(stored.record.id, first.record.id);
    assert.equal(stored.token, app.pb.authStore.token);
    // The login went out with this mini-program's appid, from wx.getAccountInfoSync().
    const [req] = device.requestsTo("/auth-with-wechat");
    assert.equal(JSON.parse(req.body).appid, device.appId);

    const again = plain(await app.login());
    assert.equal(again.isNew, false);
    assert.equal(again.record.id, first.record.id);
    assert.equal(logins(device), 2);
});

test("the token survives an app restart: no login on the next launch", async () => {
    const device = new Device({ user: "restart-bob" });
    const first = device.launch().sdk.init({ baseURL: server.url });
    const { record } = await first.login();
    await first.database().collection("notes").add({ data: { title: "before restart" } });
    assert.equal(logins(device), 1);

    // A new sandbox with the same storage is the app launched again.
    const app = device.launch().sdk.init({ baseURL: server.url });
    assert.equal(app.pb.authStore.record.id, record.id);
    assert.equal(app.pb.authStore.isValid, true);
    const ensured = plain(await app.ensureLogin());
    assert.deepEqual({ id: ensured.record.id, isNew: ensured.isNew }, { id: record.id, isNew: false });
    const { data } = await app.database().collection("notes").get();
    assert.deepEqual(plain(data).map((d) => d.title), ["before restart"]);
    assert.equal(logins(device), 1, "a valid stored token needs no login");
});

test("ensureLogin logs in when WeChat's session expired, and when there is no token", async () => {
    const device = new Device({ user: "ensure-carol" });
    const app = device.launch().sdk.init({ baseURL: server.url });
    const fresh = await app.ensureLogin();
    assert.equal(logins(device), 1, "no token: a login");
    await app.ensureLogin();
    assert.equal(logins(device), 1, "valid token and session: no login");

    device.sessionValid = false;
    const renewed = await app.ensureLogin();
    assert.equal(logins(device), 2, "wx.checkSession failed: a login");
    assert.equal(renewed.record.id, fresh.record.id);
});

test("concurrent calls share one login", async () => {
    const device = new Device({ user: "concurrent-dan" });
    const app = device.launch().sdk.init({ baseURL: server.url });
    const notes = app.database().collection("notes");
    const results = await Promise.all([
        app.login(),
        app.login(),
        app.ensureLogin(),
        notes.add({ data: { title: "one" } }),
        notes.add({ data: { title: "two" } }),
        notes.count(),
    ]);
    assert.equal(logins(device), 1);
    assert.equal(results[0].record.id, results[2].record.id);
    assert.equal((await notes.count()).total, 2);
});

test("a request with an invalidated token logs in again once and retries", async () => {
    const device = new Device({ user: "relogin-erin" });
    const app = device.launch().sdk.init({ baseURL: server.url });
    const { record } = await app.login();
    const { _id } = await app.database().collection("notes").add({ data: { title: "mine" } });
    const oldToken = app.pb.authStore.token;

    // A superuser changing the tokenKey invalidates every token of the user.
    await server.must("PATCH", `/api/collections/users/records/${record.id}`, { tokenKey: "rotated-" + Date.now() + "-0123456789abcdef" });
    device.requests.length = 0;

    const { data } = await app.database().collection("notes").doc(_id).get();
    assert.equal(data.title, "mine");
    assert.equal(logins(device), 1);
    assert.deepEqual(
        device.requestsTo("/api/database/notes/get").map((r) => r.header.Authorization === oldToken),
        [true, false],
        "the first try carried the stale token, the retry the new one",
    );
});

test("a request answered 401 again after the re-login rejects: one re-login, one retry", async () => {
    const device = new Device({ user: "relogin-frank" });
    const app = device.launch().sdk.init({ baseURL: server.url });
    await app.login();
    device.requests.length = 0;
    await assert.rejects(app.callFunction({ name: "always401" }), (err) => err.status === 401 && err.message === "Never.");
    assert.equal(device.requestsTo("/api/functions/always401").length, 2);
    assert.equal(logins(device), 1);
});

test("a failed login rejects with the server's message and code", async () => {
    const direct = await server.api("POST", "/api/collections/users/auth-with-wechat", { code: "mock:used-gina:1" });
    assert.equal(direct.status, 200);
    const expected = await server.api("POST", "/api/collections/users/auth-with-wechat", { code: "mock:used-gina:1" });
    assert.equal(expected.status, 400);

    const device = new Device({ user: "used-gina" });
    const { sdk } = device.launch();
    const app = sdk.init({ baseURL: server.url });
    device.nextCode = "mock:used-gina:1"; // already used above
    const failures = await Promise.allSettled([app.login(), app.ensureLogin()]);
    for (const f of failures) {
        assert.equal(f.status, "rejected");
        const err = f.reason;
        assert.ok(err instanceof sdk.WxbaseError);
        assert.equal(err.status, 400);
        assert.equal(err.message, expected.body.message);
        assert.deepEqual(plain(err.data), expected.body.data);
        assert.equal(err.code, expected.body.data.code);
        assert.equal(err.code, "wechat_code_used");
    }
    assert.equal(logins(device), 1, "both callers shared the one failed login");
    // The failure is not remembered: the next login gets a fresh code.
    assert.equal((await app.login()).record.id, direct.body.record.id);
});

test("a failing wx.login rejects with wx's errMsg", async () => {
    const device = new Device({ user: "wxfail-hal" });
    device.loginFailure = "system error";
    const app = device.launch().sdk.init({ baseURL: server.url });
    await assert.rejects(app.login(), (err) => err.code === "wx_login_failed" && err.status === 0 && /system error/.test(err.message));
    assert.equal(logins(device), 0);
});

test("mockUser logs in as that user without wx.login", async () => {
    const direct = await server.must("POST", "/api/collections/users/auth-with-wechat", { code: "mock:mock-ivy:direct" });
    const device = new Device({ user: "someone-else" });
    device.loginFailure = "must not be called";
    const app = device.launch().sdk.init({ baseURL: server.url, mockUser: "mock-ivy" });
    const { record } = await app.login();
    assert.equal(record.id, direct.record.id);
    assert.match(JSON.parse(device.requestsTo("/auth-with-wechat")[0].body).code, /^mock:mock-ivy:/);
});

test("logout forgets the session; the next call logs in again", async () => {
    const device = new Device({ user: "logout-jo" });
    const app = device.launch().sdk.init({ baseURL: server.url });
    await app.login();
    app.logout();
    assert.equal(device.storage.has("wxbase_auth"), false);
    assert.equal(app.pb.authStore.token, "");
    await app.database().collection("notes").count();
    assert.equal(logins(device), 2);
});

// Last: it shortens every user token's lifetime on this server.
test("a token near its expiry is refreshed before use; an expired one means a login", async () => {
    // 10 s is PocketBase's shortest token lifetime.
    await server.must("PATCH", "/api/collections/users", { authToken: { duration: 10 } });
    const device = new Device({ user: "refresh-kim" });
    const app = device.launch().sdk.init({ baseURL: server.url });
    const notes = app.database().collection("notes");
    await app.login();
    const first = app.pb.authStore.token;

    await notes.count();
    assert.equal(device.requestsTo("/auth-refresh").length, 0, "a fresh token is used as is");

    // The last quarter of the lifetime counts as near expiry.
    await sleep(tokenExp(first) * 1000 - Date.now() - 1500);
    await notes.count();
    assert.equal(device.requestsTo("/auth-refresh").length, 1);
    assert.equal(logins(device), 1);
    const refreshed = app.pb.authStore.token;
    assert.ok(tokenExp(refreshed) > tokenExp(first));
    assert.equal(JSON.parse(device.storage.get("wxbase_auth")).token, refreshed);

    await sleep(tokenExp(refreshed) * 1000 - Date.now() + 1000);
    await notes.count();
    assert.equal(logins(device), 2, "an expired token is not sent: the SDK logs in");
    assert.equal(device.requestsTo("/auth-refresh").length, 1);
});
