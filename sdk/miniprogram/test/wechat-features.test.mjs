// The WeChat server features against the real server in --wechat-mock mode:
// the phone number from the getPhoneNumber button, open data decrypted with
// the session_key that stays on the server (one re-login when WeChat rotated
// it), and the key's validity. The mock routes /api/wechat/mock/* stand in
// for what WeChat gives a phone: a phone code, data sealed with the user's
// current key, a rotated key.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";
import { Device, plain } from "./helpers/device.mjs";
import { startServer } from "./helpers/server.mjs";

let server;

// Test-only: the session_key the server stores for a user, sealed, with
// what it is bound to; the test opens it with the server's key, so the
// secret scan below knows what to look for.
const keysHook = `
routerAdd("GET", "/api/test/session-keys/{user}", (e) => {
    const accounts = $app.findRecordsByFilter("wechat_accounts", "user = {:user}", "", 0, 0, { user: e.request.pathValue("user") });
    return e.json(200, accounts.map((a) => ({
        stored: a.get("session_key"),
        collectionId: a.collection().id,
        recordId: a.id,
        fieldId: a.collection().fields.getByName("session_key").id,
    })));
}, $apis.requireSuperuserAuth());
`;

before(async () => {
    server = await startServer({ hooks: { "session-keys.pb.js": keysHook } });
});

after(async () => {
    await server?.stop();
});

// Every device of this file and every session_key the server held for its
// user, for the last test's scan.
const devices = [];
const seenKeys = new Set();

// The phones here are the mock server's own mini-program: the SDK sends
// its appid, which the server knows.
const appId = "wx0000000000000000";

async function signIn(user, options = {}) {
    const device = new Device({ user, appId });
    devices.push(device);
    const { sdk } = device.launch();
    const app = sdk.init({ baseURL: server.url, ...options });
    const { record } = await app.login();
    const signedIn = { device, sdk, app, id: record.id };
    await noteKeys(signedIn);
    return signedIn;
}

/** noteKeys remembers the session_key the server now holds for the user. */
async function noteKeys({ id }) {
    const keys = await server.must("GET", `/api/test/session-keys/${id}`);
    assert.equal(keys.length, 1);
    const opened = keys.map(({ stored, collectionId, recordId, fieldId }) => server.openSealed(stored, collectionId, recordId, fieldId));
    for (const key of opened) {
        assert.match(key, /^[A-Za-z0-9+/]{22}==$/, "a 16-byte key, base64");
        seenKeys.add(key);
    }
    return opened[0];
}

/** mock calls a mock-mode device route as the signed-in user, outside the SDK. */
function mock({ app }, route, body) {
    return server.must("POST", `/api/wechat/mock/${route}`, body, app.pb.authStore.token);
}

async function phoneCode(user, phone) {
    return (await mock(user, "phone-code", { phone })).code;
}

const logins = ({ device }) => device.requestsTo("/auth-with-wechat").length;
const decrypts = ({ device }) => device.requestsTo("/api/wechat/decrypt");
const bodyOf = (req) => JSON.parse(req.body);

/** failsWith checks a rejection: a WxbaseError with this status and code, and the server's data.code. */
function failsWith({ sdk }, status, code) {
    return (err) => {
        assert.ok(err instanceof sdk.WxbaseError, `a WxbaseError, not ${err}`);
        assert.equal(err.status, status);
        assert.equal(err.code, code);
        assert.equal(typeof err.message, "string");
        assert.ok(err.message.length > 0);
        assert.equal(typeof err.data, "object");
        if (status) {
            assert.equal(err.data.code, code, "the server's data.code");
        }
        return true;
    };
}

const steps = { stepInfoList: [{ timestamp: 1700000000, step: 8123 }, { timestamp: 1700086400, step: 10456 }] };

test("getPhoneNumber binds the button's number and updates the stored record", async () => {
    const alice = await signIn("phone-alice");
    const code = await phoneCode(alice, "13800138000");
    const result = plain(await alice.app.getPhoneNumber({ type: "getphonenumber", detail: { code, errMsg: "getPhoneNumber:ok" } }));
    assert.deepEqual(result, { phone: "+8613800138000", purePhoneNumber: "13800138000", countryCode: "86" });

    const [req] = alice.device.requestsTo("/api/wechat/phone");
    assert.equal(req.method, "POST");
    assert.deepEqual(bodyOf(req), { code, appid: alice.device.appId });

    assert.equal(alice.app.pb.authStore.record.phone, "+8613800138000");
    assert.equal(JSON.parse(alice.device.storage.get("wxbase_auth")).record.phone, "+8613800138000");
    assert.equal((await server.must("GET", `/api/collections/users/records/${alice.id}`)).phone, "+8613800138000");
    // The next launch reads it from wx storage.
    const relaunched = alice.device.launch().sdk.init({ baseURL: server.url });
    assert.equal(relaunched.pb.authStore.record.phone, "+8613800138000");

    // An international number; a user may change their own.
    const intl = await phoneCode(alice, "+1 2025550123");
    const changed = plain(await alice.app.getPhoneNumber({ detail: { code: intl, errMsg: "getPhoneNumber:ok" } }));
    assert.deepEqual(changed, { phone: "+12025550123", purePhoneNumber: "2025550123", countryCode: "1" });
    assert.equal(alice.app.pb.authStore.record.phone, "+12025550123");

    // A code works once.
    await assert.rejects(alice.app.getPhoneNumber({ detail: { code: intl } }), failsWith(alice, 400, "wechat_code_invalid"));
    assert.equal(alice.app.pb.authStore.record.phone, "+12025550123");
});

test("a number another user holds rejects with 409 phone_taken and changes nothing", async () => {
    const carol = await signIn("phone-carol");
    await carol.app.getPhoneNumber({ detail: { code: await phoneCode(carol, "13900139000") } });
    const dave = await signIn("phone-dave");
    const stored = JSON.parse(dave.device.storage.get("wxbase_auth"));

    await assert.rejects(dave.app.getPhoneNumber({ detail: { code: await phoneCode(dave, "13900139000") } }), failsWith(dave, 409, "phone_taken"));
    assert.ok(!dave.app.pb.authStore.record.phone, "no phone on dave's local record");
    assert.deepEqual(JSON.parse(dave.device.storage.get("wxbase_auth")), stored);
    assert.equal((await server.must("GET", `/api/collections/users/records/${dave.id}`)).phone, "");
    assert.equal((await server.must("GET", `/api/collections/users/records/${carol.id}`)).phone, "+8613900139000");
});

test("a declined or failed getPhoneNumber button rejects without a request", async () => {
    const device = new Device({ user: "phone-erin", appId });
    devices.push(device);
    const { sdk } = device.launch();
    const app = sdk.init({ baseURL: server.url });
    const denied = { detail: { errMsg: "getPhoneNumber:fail user deny", errno: 104 } };
    await assert.rejects(app.getPhoneNumber(denied), (err) => {
        failsWith({ sdk }, 0, "wx_phone_denied")(err);
        assert.match(err.message, /declined/);
        assert.deepEqual(plain(err.data), { errMsg: "getPhoneNumber:fail user deny", errno: 104 });
        return true;
    });
    // Not the user's refusal: an unverified mini-program, say.
    await assert.rejects(app.getPhoneNumber({ detail: { errMsg: "getPhoneNumber:fail no permission" } }), (err) => {
        failsWith({ sdk }, 0, "wx_phone_failed")(err);
        assert.match(err.message, /no permission/);
        return true;
    });
    // Old base libraries give no code, only encryptedData and iv.
    await assert.rejects(app.getPhoneNumber({ detail: { errMsg: "getPhoneNumber:ok", encryptedData: "x", iv: "y" } }), failsWith({ sdk }, 0, "wx_phone_failed"));
    await assert.rejects(app.getPhoneNumber("13800138000"), failsWith({ sdk }, 0, "wxbase_unsupported"));
    await assert.rejects(app.getPhoneNumber(), failsWith({ sdk }, 0, "wxbase_unsupported"));
    assert.deepEqual(device.requests, [], "no login, no request");
});

test("decrypt opens data sealed with the user's session key", async () => {
    const frank = await signIn("decrypt-frank");
    const sealed = await mock(frank, "encrypt", { data: steps });
    const { data } = plain(await frank.app.decrypt(sealed));
    assert.deepEqual(data.stepInfoList, steps.stepInfoList);
    assert.equal(data.watermark.appid, frank.device.appId);

    const [req] = decrypts(frank);
    assert.deepEqual(bodyOf(req), { ...sealed, appid: frank.device.appId });
    assert.equal(logins(frank), 1);

    // rawData with its signature, sha1(rawData + session_key), as wx.getUserInfo gave them.
    const key = await noteKeys(frank);
    const rawData = JSON.stringify({ nickName: "Frank", gender: 0 });
    const signature = createHash("sha1").update(rawData + key).digest("hex");
    const signed = plain(await frank.app.decrypt({ ...sealed, rawData, signature }));
    assert.deepEqual(signed.data.stepInfoList, steps.stepInfoList);
    assert.deepEqual(bodyOf(decrypts(frank)[1]), { ...sealed, rawData, signature, appid: frank.device.appId });
});

test("decrypt after WeChat rotated the key logs in again once and retries", async () => {
    const gina = await signIn("decrypt-gina");
    await mock(gina, "expire-session");
    // Sealed with WeChat's new key, which the server does not have yet.
    const sealed = await mock(gina, "encrypt", { data: steps });

    const { data } = plain(await gina.app.decrypt(sealed));
    assert.deepEqual(data.stepInfoList, steps.stepInfoList);
    assert.equal(logins(gina), 2, "exactly one re-login");
    assert.deepEqual(
        decrypts(gina).map((r) => bodyOf(r)),
        [{ ...sealed, appid: gina.device.appId }, { ...sealed, appid: gina.device.appId }],
        "the same data, twice",
    );
    const answers = gina.device.responses.filter((r) => new URL(r.url).pathname === "/api/wechat/decrypt");
    assert.deepEqual(
        answers.map((r) => [r.status, JSON.parse(r.body).data.code]),
        [
            [409, "session_key_expired"],
            [200, undefined],
        ],
    );
    await noteKeys(gina);
});

test("concurrent decrypts after a rotation share one re-login, even when their 409s come late", async () => {
    const hal = await signIn("decrypt-hal");
    await mock(hal, "expire-session");
    const sealed = await Promise.all([1, 2, 3].map((n) => mock(hal, "encrypt", { data: { n } })));
    // The server answers all three with 409 (each reached it with the stale
    // key); the first 409 reaches the phone then, the other two only after
    // the first decrypt's re-login and retry are done.
    let firstDone, allStale;
    const retried = new Promise((resolve) => (firstDone = resolve));
    const allThree = new Promise((resolve) => (allStale = resolve));
    let stale = 0;
    hal.device.beforeAnswer = async (req, res) => {
        if (new URL(req.url).pathname !== "/api/wechat/decrypt") return;
        if (res.status === 409) {
            const nth = ++stale;
            if (nth === 3) allStale();
            await (nth === 1 ? allThree : retried);
        }
        if (res.status === 200) firstDone();
    };
    const results = await Promise.all(sealed.map((s) => hal.app.decrypt(s)));
    hal.device.beforeAnswer = null;
    assert.deepEqual(
        results.map((r) => r.data.n),
        [1, 2, 3],
    );
    assert.equal(logins(hal), 2, "one re-login for the three");
    assert.equal(decrypts(hal).length, 6, "each sent once, retried once");
    await noteKeys(hal);
});

test("a key rotated again during the retry rejects with 409: one re-login, one retry", async () => {
    const ivy = await signIn("decrypt-ivy");
    // Data sealed with a key the server never gets: WeChat rotates before
    // and after sealing, so even after the re-login the data does not open.
    await mock(ivy, "expire-session");
    const sealed = await mock(ivy, "encrypt", { data: steps });
    await mock(ivy, "expire-session");
    // And WeChat rotates once more right after the re-login, so the server's
    // new key is stale by the time the retry arrives: 409 again.
    ivy.device.beforeAnswer = async (req, res) => {
        if (new URL(req.url).pathname.endsWith("/auth-with-wechat") && res.status === 200) {
            await server.must("GET", `/api/test/session-keys/${ivy.id}`).then((keys) => keys.forEach((k) => seenKeys.add(k)));
            await server.must("POST", "/api/wechat/mock/expire-session", undefined, JSON.parse(res.body).token);
        }
    };
    await assert.rejects(ivy.app.decrypt(sealed), failsWith(ivy, 409, "session_key_expired"));
    ivy.device.beforeAnswer = null;
    assert.equal(logins(ivy), 2, "one re-login");
    assert.equal(decrypts(ivy).length, 2, "one retry");
    const answers = ivy.device.responses.filter((r) => new URL(r.url).pathname === "/api/wechat/decrypt");
    assert.deepEqual(
        answers.map((r) => r.status),
        [409, 409],
    );
});

test("malformed or tampered data rejects with 400 wechat_decrypt_failed, without a re-login", async () => {
    const jo = await signIn("decrypt-jo");
    const sealed = await mock(jo, "encrypt", { data: steps });
    const raw = Buffer.from(sealed.encryptedData, "base64");
    const flipped = Buffer.from(raw);
    flipped[flipped.length - 1] ^= 0x01; // the padding block
    const bad = [
        { encryptedData: "bm90IGEgY2lwaGVydGV4dA==", iv: sealed.iv }, // not whole blocks
        { encryptedData: raw.subarray(0, raw.length - 16).toString("base64"), iv: sealed.iv }, // truncated
        { encryptedData: flipped.toString("base64"), iv: sealed.iv }, // tampered
        { encryptedData: sealed.encryptedData, iv: Buffer.alloc(16).toString("base64") }, // wrong iv
        { encryptedData: "%%%", iv: "%%%" }, // not base64
        { ...sealed, rawData: '{"nickName":"Jo"}', signature: "0".repeat(40) }, // a forged signature
    ];
    for (const input of bad) {
        await assert.rejects(jo.app.decrypt(input), failsWith(jo, 400, "wechat_decrypt_failed"), JSON.stringify(input));
    }
    assert.equal(decrypts(jo).length, bad.length, "no retries");
    assert.equal(logins(jo), 1, "no re-login: the key is valid");

    // Missing pieces are refused before any request.
    for (const input of [undefined, {}, { encryptedData: sealed.encryptedData }, { iv: sealed.iv }, { encryptedData: "", iv: sealed.iv }]) {
        await assert.rejects(jo.app.decrypt(input), failsWith(jo, 0, "wxbase_unsupported"));
    }
    assert.equal(decrypts(jo).length, bad.length);
    // The data itself still opens.
    assert.deepEqual(plain((await jo.app.decrypt(sealed)).data.stepInfoList), steps.stepInfoList);
});

test("checkSession answers the server's view: valid, stale after a rotation, valid after login()", async () => {
    const kim = await signIn("session-kim");
    assert.deepEqual(plain(await kim.app.checkSession()), { valid: true });
    const [req] = kim.device.requestsTo("/api/wechat/session");
    assert.equal(req.method, "GET");
    assert.equal(new URL(req.url).searchParams.get("appid"), kim.device.appId);

    await mock(kim, "expire-session");
    assert.deepEqual(plain(await kim.app.checkSession()), { valid: false });
    assert.equal(logins(kim), 1, "checkSession only reports; it does not log in");

    await kim.app.login();
    await noteKeys(kim);
    assert.deepEqual(plain(await kim.app.checkSession()), { valid: true });
});

test("with appid '' the calls carry no appid", async () => {
    const leo = await signIn("appid-leo", { appid: "" });
    assert.equal(bodyOf(leo.device.requestsTo("/auth-with-wechat")[0]).appid, undefined);
    await leo.app.getPhoneNumber({ detail: { code: await phoneCode(leo, "13700137000") } });
    const sealed = await mock(leo, "encrypt", { data: steps });
    await leo.app.decrypt(sealed);
    assert.equal((await leo.app.checkSession()).valid, true);
    assert.equal(bodyOf(leo.device.requestsTo("/api/wechat/phone")[0]).appid, undefined);
    assert.deepEqual(bodyOf(decrypts(leo)[0]), sealed);
    assert.equal(new URL(leo.device.requestsTo("/api/wechat/session")[0].url).search, "");
});

test("without a session the features log in first", async () => {
    const device = new Device({ user: "fresh-mo", appId });
    devices.push(device);
    const app = device.launch().sdk.init({ baseURL: server.url });
    assert.deepEqual(plain(await app.checkSession()), { valid: true });
    assert.equal(device.requestsTo("/auth-with-wechat").length, 1);
    await noteKeys({ id: app.pb.authStore.record.id });
});

// Last: it scans what every test's phone sent and received.
test("no session_key in any request the phones made or any answer they got", async () => {
    const texts = [];
    for (const device of devices) {
        for (const r of device.requests) {
            texts.push(r.url, JSON.stringify(r.header), r.body || "");
        }
        for (const r of device.responses) {
            texts.push(r.url, r.body);
        }
    }
    assert.ok(texts.length > 100, "the scan has something to scan");
    assert.ok(seenKeys.size >= devices.length, "keys to look for");
    const leaks = (haystack) => haystack.filter((t) => [...seenKeys].some((k) => t.includes(k)) || /session_?key"\s*:/i.test(t));
    // Positive controls: the scan finds a key, and a key-named field.
    const [aKey] = seenKeys;
    assert.equal(leaks([...texts, JSON.stringify({ data: { x: aKey } })]).length, 1);
    assert.equal(leaks([...texts, JSON.stringify({ session_key: "hidden" })]).length, 1);
    assert.deepEqual(leaks(texts), []);
});
