// Moving from LeanCloud or CloudBase (README): a LeanCloud export and a
// CloudBase export are imported into a fresh data folder; the server then
// starts with a fake WeChat whose jscode2session answers the imported
// openids, and each WeChat user, logging in through the built bundle, lands on
// their imported account and reads exactly the records they owned. Importing
// the same exports again changes nothing (served again, every user reads the
// same documents); an export with a corrupted line fails at file:line and
// leaves the data folder as it was, and never undoes an edit made here.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { Device, plain } from "./helpers/device.mjs";
import { buildWxbase, startServer } from "./helpers/server.mjs";

const appId = "wx5a1e0c4b3d2f6e70";
const appSecret = "5ec2e75ec2e75ec2e75ec2e75ec2e7aa";

// The WeChat users, with 28-character openids as WeChat gives them. Alice,
// Bob and Carol signed up on LeanCloud with the mini-program (Carol under an
// old 10-character id); Erin only ever used the CloudBase version.
const users = {
    alice: { id: "5f8d0d55b54764421b7156c1", openid: "oAl1ce-Xy_9QwErTyUiOpAsDfGh0" },
    bob: { id: "5f8d0d55b54764421b7156c2", openid: "oB0b_Zx-8PlMkOiJnUhYbGtVfRc1" },
    carol: { id: "mQtjuMF5xk", openid: "oCar0l7_-LqWsEdRfTgYhUjIkOp2" },
    erin: { openid: "oEr1n-9a8B7c6D5e4F3g2H1i0JkL" },
};
// Dave signed up with an e-mail and a password (LeanCloud's documented test
// vector: "password"), never with WeChat.
const dave = { id: "5f8d0d55b54764421b7156c4", email: "dave@example.com" };

const acl = (...owners) => Object.fromEntries(owners.map((id) => [id, { read: true, write: true }]));
const date = (iso) => ({ __type: "Date", iso });
const pointer = (className, objectId) => ({ __type: "Pointer", className, objectId });
const times = (createdAt, updatedAt = createdAt) => ({ createdAt, updatedAt });
const stale = { session_key: "c3RhbGUgc2Vzc2lvbiBrZXk=", expires_in: 7200 };

const leanUsers = [
    {
        objectId: users.alice.id,
        username: "a9k2mq7x4v8n1b5c3z6l0p2wd",
        authData: { lc_weapp: { openid: users.alice.openid, ...stale } },
        sessionToken: "alicesessiontoken0000000x",
        createdAt: "2023-01-02T03:04:05.678Z",
        updatedAt: "2024-01-02T03:04:05.678Z",
    },
    {
        objectId: users.bob.id,
        username: "b1n7c4x9z2m5v8l3k6j0h4g7f",
        authData: { lc_weapp: { openid: users.bob.openid, ...stale } },
        createdAt: "2023-02-02T03:04:05.678Z",
        updatedAt: "2024-02-02T03:04:05.678Z",
    },
    {
        objectId: users.carol.id,
        username: "c5v2b8n1m4x7z0l3k9j6h2g5f",
        authData: { lc_weapp: { openid: users.carol.openid, ...stale } },
        createdAt: "2019-03-02T03:04:05.678Z",
        updatedAt: "2019-03-02T03:04:05.678Z",
    },
    {
        objectId: dave.id,
        username: "dave",
        email: dave.email,
        emailVerified: true,
        salt: "h60d8x797d3oa0naxybxxv9bn7xpt2yiowz68mpiwou7gwr2",
        password: "tA7BLW+NK0UeARng0693gCaVnljkglCB9snqlpCSUKjx2RgYp8VZZOQt0S5iUtlDrkJXfT3gknS4rRqjYsd/Ug==",
        createdAt: "2022-05-06T07:08:09.000Z",
        updatedAt: "2022-05-06T07:08:09.000Z",
    },
];

const todoIds = {
    milk: "6a0000000000000000000001",
    mum: "6a0000000000000000000002",
    bike: "6a0000000000000000000003",
    carol: "6a0000000000000000000004",
    notice: "6a0000000000000000000005",
};
const todos = [
    {
        objectId: todoIds.milk,
        title: "buy milk",
        done: false,
        due: date("2024-06-01T09:30:00.123Z"),
        assignee: pointer("_User", users.bob.id),
        ACL: acl(users.alice.id),
        ...times("2024-02-01T00:00:00.000Z", "2024-02-02T00:00:00.000Z"),
    },
    { objectId: todoIds.mum, title: "call mum", done: true, ACL: acl(users.alice.id), ...times("2024-02-01T00:00:01.000Z") },
    {
        objectId: todoIds.bike,
        title: "fix bike",
        done: false,
        due: date("2024-07-01T10:00:00.000Z"),
        ACL: acl(users.bob.id),
        ...times("2024-02-01T00:00:02.000Z", "2024-02-02T00:00:02.000Z"),
    },
    { objectId: todoIds.carol, title: "carol's own", done: false, ACL: acl(users.carol.id), ...times("2024-02-01T00:00:03.000Z") },
    {
        objectId: todoIds.notice,
        title: "the notice everyone reads",
        done: false,
        ACL: { "*": { read: true }, ...acl(users.alice.id) },
        ...times("2024-02-01T00:00:04.000Z"),
    },
];

const commentIds = { bob: "6b0000000000000000000001", alice: "6b0000000000000000000002" };
const comments = [
    { objectId: commentIds.bob, text: "bob on the notice", todo: pointer("Todo", todoIds.notice), ACL: acl(users.bob.id), ...times("2024-03-01T00:00:00.000Z") },
    { objectId: commentIds.alice, text: "alice on her milk", todo: pointer("Todo", todoIds.milk), ACL: acl(users.alice.id), ...times("2024-03-02T00:00:00.000Z") },
];

// CloudBase ids: 32 hex, and an older 16-character mixed-case one.
const orderIds = {
    tea: "9b3f0c7a5e8d4f2a9b3f0c7a5e8d4f2a",
    coffee: "B2f0c7a5e8d4f2a9",
    cake: "c3f0c7a5e8d4f2a9b3f0c7a5e8d4f2a1",
    pie: "d4e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5",
};
const orders = [
    { _id: orderIds.tea, _openid: users.alice.openid, item: "tea", qty: 2, paidAt: { $date: "2024-04-01T08:00:00.000Z" } },
    { _id: orderIds.coffee, _openid: users.bob.openid, item: "coffee", qty: 1, paidAt: { $date: "2024-04-02T08:00:00.000Z" } },
    { _id: orderIds.cake, _openid: users.alice.openid, item: "cake", qty: 3, paidAt: { $date: "2024-04-03T08:00:00.000Z" } },
    { _id: orderIds.pie, _openid: users.erin.openid, item: "pie", qty: 1, paidAt: { $date: "2024-04-04T08:00:00.000Z" } },
];

// What each WeChat user owned; each reads that and the public records.
const owned = {
    alice: { Todo: [todoIds.milk, todoIds.mum, todoIds.notice], Comment: [commentIds.alice], orders: [orderIds.tea, orderIds.cake] },
    bob: { Todo: [todoIds.bike], Comment: [commentIds.bob], orders: [orderIds.coffee] },
    carol: { Todo: [todoIds.carol], Comment: [], orders: [] },
    erin: { Todo: [], Comment: [], orders: [orderIds.pie] },
};
const publicRecords = { Todo: [todoIds.notice], Comment: [], orders: [] };
const readable = (name, collection) => [...new Set([...owned[name][collection], ...publicRecords[collection]])].sort();

const jsonLines = (records) => records.map((r) => JSON.stringify(r) + "\n").join("");
// CloudBase's documentation pretty-prints each record over several lines.
const prettyConcatenated = (records) => records.map((r) => JSON.stringify(r, null, 2) + "\n").join("");

/**
 * fakeWeChat is WeChat's jscode2session for one mini-program: codes it issued
 * for an openid, once each, as WeChat answers them; anything else is a 404.
 */
async function fakeWeChat() {
    const codes = new Map(); // code -> { openid, used }
    const calls = [];
    const answer = (q) => {
        if (q.get("appid") !== appId) return { errcode: 40013, errmsg: "invalid appid" };
        if (q.get("secret") !== appSecret) return { errcode: 40125, errmsg: "invalid appsecret" };
        if (q.get("grant_type") !== "authorization_code") return { errcode: 40002, errmsg: "invalid grant_type" };
        const issued = codes.get(q.get("js_code"));
        if (!issued) return { errcode: 40029, errmsg: "invalid code" };
        if (issued.used) return { errcode: 40163, errmsg: "code been used" };
        issued.used = true;
        return { openid: issued.openid, session_key: randomBytes(16).toString("base64") };
    };
    const server = http.createServer((req, res) => {
        const url = new URL(req.url, "http://wechat");
        calls.push(url.pathname);
        if (req.method !== "GET" || url.pathname !== "/sns/jscode2session") {
            res.writeHead(404).end();
            return;
        }
        res.writeHead(200, { "Content-Type": "text/plain" }).end(JSON.stringify(answer(url.searchParams)));
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${server.address().port}`,
        calls,
        issueCode(openid) {
            const code = randomBytes(24).toString("base64url").slice(0, 32);
            codes.set(code, { openid, used: false });
            return code;
        },
        close: () => new Promise((resolve) => server.close(resolve)),
    };
}

/**
 * snapshot is every file of a folder, by path, as its sha256, and every
 * folder. Of the server's lock file only its presence counts: it holds the
 * process id of the last server.
 */
function snapshot(root) {
    const out = {};
    const walk = (dir) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
            const path = join(dir, entry.name);
            if (entry.isDirectory()) {
                out[relative(root, path) + "/"] = "dir";
                walk(path);
            } else if (entry.name === "wxbase.lock" && dir === root) {
                out[entry.name] = "lock";
            } else {
                out[relative(root, path)] = createHash("sha256").update(readFileSync(path)).digest("hex");
            }
        }
    };
    walk(root);
    return out;
}

let work; // the exports
let build; // { dir, bin, dataDir }
let wechat;
let server;
let importEnv;
const signedIn = {}; // name -> { app, db, _, device, record, openid, sdk }

/**
 * wxbase runs the built binary: { code, stdout, output }, output being
 * stdout and stderr (PocketBase prints a command's error on stdout).
 */
function wxbase(...args) {
    return new Promise((resolve) => {
        execFile(build.bin, [...args, "--dir", build.dataDir], { env: importEnv, cwd: build.dir }, (err, stdout, stderr) => {
            resolve({ code: err ? (err.code ?? 1) : 0, stdout, output: stdout + stderr });
        });
    });
}

/** imported runs an import that must succeed, and answers its --json report. */
async function imported(source, exportDir) {
    const res = await wxbase("import", source, exportDir, "--appid", appId, "--json");
    assert.equal(res.code, 0, `import ${source}: ${res.output}`);
    return JSON.parse(res.stdout);
}

/** writeExport writes files (name -> text) into a new folder of work. */
function writeExport(name, files) {
    const dir = join(work, name);
    mkdirSync(dir);
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    return dir;
}

const leanCloudFiles = () => ({ "_User.0.jsonl": jsonLines(leanUsers), "Todo.0.jsonl": jsonLines(todos), "Comment.0.jsonl": jsonLines(comments) });
const cloudBaseFiles = () => ({ "orders.json": prettyConcatenated(orders) });

const collection = (report, name) => report.collections.find((c) => c.name === name);
const ids = (docs) => plain(docs).map((d) => d._id ?? d.id).sort();
const isDate = (v) => Object.prototype.toString.call(v) === "[object Date]";
const userCount = async () => (await server.must("GET", "/api/collections/users/records?perPage=1")).totalItems;

/** serve starts the server on the data folder, with the fake WeChat. */
async function serve() {
    server = await startServer({ build, wechatMock: false, env: { WECHAT_APPID: appId, WECHAT_SECRET: appSecret, WECHAT_API_BASE: wechat.url } });
}

/** signIn launches the bundle on a phone of the user and logs in through wx.login. */
async function signIn(name) {
    const device = new Device({ user: name, appId });
    const { sdk } = device.launch();
    const app = sdk.init({ baseURL: server.url });
    device.nextCode = wechat.issueCode(users[name].openid);
    const { record, openid } = await app.login();
    const db = app.database();
    signedIn[name] = { app, db, _: db.command, device, record, openid, sdk };
    return signedIn[name];
}

/** signOut ends the mini-programs of every user signed in. */
function signOut() {
    for (const [name, user] of Object.entries(signedIn)) {
        user.device.dispose();
        delete signedIn[name];
    }
}

const collections = ["Todo", "Comment", "orders"];

/** readAll is every document a user reads with get(), by collection, as plain values. */
async function readAll(user) {
    const out = {};
    for (const coll of collections) {
        out[coll] = plain((await user.db.collection(coll).get()).data).sort((a, b) => (a._id < b._id ? -1 : 1));
    }
    return out;
}

let reports; // the first imports' reports
let views; // name -> what readAll answered on the first server
let leanCloudExport;
let cloudBaseExport;

before(async () => {
    work = mkdtempSync(join(tmpdir(), "wxbase-import-test-"));
    [build, wechat] = await Promise.all([buildWxbase(), fakeWeChat()]);
    // WECHAT_APPID and WECHAT_SECRET name the mini-program, as at a deploy:
    // the import creates it in a data folder never served.
    importEnv = { ...process.env, WECHAT_APPID: appId, WECHAT_SECRET: appSecret };
    leanCloudExport = writeExport("leancloud", leanCloudFiles());
    cloudBaseExport = writeExport("cloudbase", cloudBaseFiles());
    reports = { leancloud: await imported("leancloud", leanCloudExport), cloudbase: await imported("cloudbase", cloudBaseExport) };
    await serve();
});

after(async () => {
    signOut();
    await server?.stop();
    await wechat?.close();
    if (build) rmSync(build.dir, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
});

describe("import, then the same WeChat users log in", () => {
    test("the first imports report every user, account, collection and field", async () => {
        const lc = reports.leancloud;
        assert.deepEqual([lc.users, lc.accounts, lc.leanCloudPasswords], [4, 3, 1], JSON.stringify(lc));
        assert.deepEqual(lc.problems, []);
        assert.deepEqual(lc.notCarried, []);
        assert.equal(collection(lc, "users").records, 4);
        for (const [name, records] of [
            ["Todo", 5],
            ["Comment", 2],
        ]) {
            assert.equal(collection(lc, name).records, records, name);
            assert.equal(collection(lc, name).created, true, name);
        }
        const kinds = (name) => Object.fromEntries(collection(lc, name).fields.map((f) => [f.name, f.target ? `${f.kind} → ${f.target}` : f.kind]));
        // A relation's target is the Pointer's class.
        assert.deepEqual(kinds("Todo"), { title: "text", done: "bool", due: "date", assignee: "relation → users" });
        assert.deepEqual(kinds("Comment"), { text: "text", todo: "relation → Todo" });
        const relationTo = async (coll, field) => (await server.must("GET", `/api/collections/${coll}`)).fields.find((f) => f.name === field).collectionId;
        assert.equal(await relationTo("Todo", "assignee"), (await server.must("GET", "/api/collections/users")).id);
        assert.equal(await relationTo("Comment", "todo"), (await server.must("GET", "/api/collections/Todo")).id);

        // Alice's and Bob's openids already had their LeanCloud accounts:
        // only Erin is new.
        const cb = reports.cloudbase;
        assert.deepEqual([cb.users, cb.accounts], [1, 1], JSON.stringify(cb));
        assert.deepEqual(cb.problems, []);
        assert.deepEqual(cb.notCarried, []);
        assert.deepEqual(
            cb.collections.map((c) => [c.name, c.records, c.created]),
            [["orders", 4, true]],
        );
        assert.deepEqual(Object.fromEntries(collection(cb, "orders").fields.map((f) => [f.name, f.kind])), { item: "text", qty: "number", paidAt: "date" });
    });

    test("an import beside the running server is refused", async () => {
        const res = await wxbase("import", "leancloud", leanCloudExport, "--appid", appId, "--json");
        assert.notEqual(res.code, 0);
        assert.match(res.output, /is serving the data directory/);
        assert.match(res.output, /stop it, import/);
    });

    test("each WeChat user's login lands on the imported user, and no user is made", async () => {
        const before = await userCount();
        assert.equal(before, 5); // 4 from LeanCloud, Erin from CloudBase
        for (const name of Object.keys(users)) {
            const { record, openid } = await signIn(name);
            assert.equal(openid, users[name].openid, name);
            if (users[name].id) {
                assert.equal(record.id, users[name].id, `${name} logs in as ${record.id}, not the LeanCloud user`);
            }
        }
        // Erin's user is the one the CloudBase import made for her openid.
        const erin = await server.must("GET", `/api/collections/orders/records/${orderIds.pie}`);
        assert.equal(signedIn.erin.record.id, erin.owner);
        assert.equal(await userCount(), before);
        assert.deepEqual(
            wechat.calls.filter((p) => p === "/sns/jscode2session").length,
            Object.keys(users).length,
            `WeChat calls: ${wechat.calls.join(", ")}`,
        );
        // The stale LeanCloud session token did not come along.
        const alice = await server.must("GET", `/api/collections/users/records/${users.alice.id}`);
        assert.equal(JSON.stringify(alice).includes("alicesessiontoken"), false);
    });

    test("get() reads exactly the records each user owned, with their ids, and the public one", async () => {
        views = {};
        for (const [name, user] of Object.entries(signedIn)) {
            views[name] = await readAll(user);
            for (const coll of collections) {
                const res = await user.db.collection(coll).get();
                assert.equal(res.errMsg, "collection.get:ok");
                assert.deepEqual(ids(res.data), readable(name, coll), `${name} reads ${coll}`);
                for (const doc of res.data) {
                    const owner = owned[name][coll].includes(doc._id) ? name : "alice"; // else the public notice
                    assert.equal(doc._openid, users[owner].openid, `${name}: ${coll} ${doc._id}'s _openid`);
                }
            }
        }
    });

    test("doc().get(), where() and count() see the same records", async () => {
        const { db, _ } = signedIn.alice;
        const milk = (await db.collection("Todo").doc(todoIds.milk).get()).data;
        assert.equal(milk._id, todoIds.milk);
        assert.equal(milk._openid, users.alice.openid);
        assert.equal(milk.owner, users.alice.id);
        assert.equal(milk.title, "buy milk");
        assert.equal(milk.done, false);
        assert.ok(isDate(milk.due), `due is ${milk.due}`);
        assert.equal(milk.due.toISOString(), "2024-06-01T09:30:00.123Z");
        assert.equal(milk.assignee, users.bob.id); // the _User Pointer, a relation id

        const comment = (await db.collection("Comment").doc(commentIds.alice).get()).data;
        assert.equal(comment.todo, todoIds.milk); // the Pointer, a relation id

        const tea = (await db.collection("orders").doc(orderIds.tea).get()).data;
        assert.equal(tea._openid, users.alice.openid);
        assert.equal(tea.qty, 2);
        assert.ok(isDate(tea.paidAt));
        assert.equal(tea.paidAt.toISOString(), "2024-04-01T08:00:00.000Z");

        // Another user's record is missing to Alice, as in CloudBase.
        await assert.rejects(db.collection("Todo").doc(todoIds.bike).get(), (err) => err.status === 404 && err.errCode === -1);
        await assert.rejects(db.collection("orders").doc(orderIds.coffee).get(), (err) => err.status === 404);

        assert.deepEqual(ids((await db.collection("Todo").where({ done: false }).get()).data), [todoIds.milk, todoIds.notice].sort());
        assert.deepEqual(ids((await db.collection("Todo").where({ due: _.gt(new Date("2024-01-01T00:00:00Z")) }).get()).data), [todoIds.milk]);
        assert.deepEqual(ids((await db.collection("orders").where({ qty: _.gte(2) }).get()).data), [orderIds.tea, orderIds.cake].sort());

        for (const [name, user] of Object.entries(signedIn)) {
            const todos = user.db.collection("Todo");
            assert.equal((await todos.count()).total, readable(name, "Todo").length, `${name} counts Todo`);
            assert.equal((await todos.where({ _openid: "{openid}" }).count()).total, owned[name].Todo.length, `${name} counts their own Todo`);
            assert.equal((await user.db.collection("orders").where({ _openid: "{openid}" }).count()).total, owned[name].orders.length, `${name} counts orders`);
            assert.deepEqual(ids((await todos.where({ _openid: "{openid}" }).get()).data), [...owned[name].Todo].sort(), `${name}'s own Todo`);
        }
    });

    test("the SDK's PocketBase client lists the same records, with LeanCloud's dates", async () => {
        for (const [name, user] of Object.entries(signedIn)) {
            for (const coll of collections) {
                const list = await user.app.pb.collection(coll).getFullList({ sort: "id" });
                assert.deepEqual(ids(list), readable(name, coll), `${name} lists ${coll}`);
            }
            const self = await user.app.pb.collection("users").getFullList();
            assert.deepEqual(ids(self), [user.record.id], `${name} lists users`);
        }
        const bike = await signedIn.bob.app.pb.collection("Todo").getOne(todoIds.bike);
        assert.equal(bike.owner, users.bob.id);
        assert.equal(bike.due, "2024-07-01 10:00:00.000Z");
        assert.equal(bike.created, "2024-02-01 00:00:02.000Z");
        assert.equal(bike.updated, "2024-02-02 00:00:02.000Z");
        const comment = await signedIn.bob.app.pb.collection("Comment").getOne(commentIds.bob, { expand: "todo" });
        assert.equal(comment.todo, todoIds.notice);
        assert.equal(comment.expand?.todo?.title, "the notice everyone reads");
        const bob = await signedIn.bob.app.pb.collection("users").getOne(users.bob.id);
        assert.equal(bob.created, "2023-02-02 03:04:05.678Z");
        await assert.rejects(signedIn.bob.app.pb.collection("Todo").getOne(todoIds.milk), (err) => err.status === 404);
    });

    test("a guest reads the public record only", async () => {
        const res = await server.api("GET", "/api/collections/Todo/records", undefined, "");
        assert.equal(res.status, 200);
        assert.deepEqual(ids(res.body.items), [todoIds.notice]);
        assert.equal((await server.api("GET", "/api/collections/orders/records", undefined, "")).body.totalItems, 0);
    });
});

describe("after the server stops", () => {
    let served; // the data folder as the server left it
    let reimported; // and after the same exports were imported again

    before(async () => {
        signOut();
        await server.stop();
        served = snapshot(build.dataDir);
    });

    test("importing the same exports again reports every record as it is here", async () => {
        // None is updated, made again or reported.
        const unchanged = (report, counts) => {
            const text = JSON.stringify(report);
            assert.deepEqual(report.problems, [], text);
            for (const [name, n] of counts) assert.ok(report.notes.includes(`${name}: ${n} records already here are as in the export`), text);
            assert.equal(report.notes.filter((note) => /updated|deleted|made/.test(note)).length, 0, text);
            for (const c of report.collections) {
                assert.equal(c.created, false, c.name);
                assert.deepEqual(c.fields ?? [], [], c.name);
            }
        };
        const lc = await imported("leancloud", leanCloudExport);
        assert.deepEqual([lc.users, lc.accounts, lc.leanCloudPasswords], [0, 0, 0], JSON.stringify(lc));
        unchanged(lc, [
            ["users", 4],
            ["Todo", 5],
            ["Comment", 2],
        ]);
        const cb = await imported("cloudbase", cloudBaseExport);
        assert.deepEqual([cb.users, cb.accounts], [0, 0], JSON.stringify(cb));
        assert.deepEqual(
            cb.collections.map((c) => c.name),
            ["orders"],
        );
        unchanged(cb, [["orders", 4]]);
        reimported = snapshot(build.dataDir);
    });

    test("importing the same exports again leaves the data folder byte-identical", () => {
        assert.ok(reimported, "the re-import did not run");
        assert.deepEqual(reimported, served);
    });

    test("an export with a corrupted line fails at file:line, and the data folder is as it was", async () => {
        const was = snapshot(build.dataDir);
        // Each export has new data before the corrupted line: a new user, a
        // new record, a new class or collection, none of which may land.
        const newUser = { objectId: "5f8d0d55b54764421b7156c9", authData: { lc_weapp: { openid: "oNewUserXXXXXXXXXXXXXXXXXXXX", ...stale } } };
        const newTodo = { objectId: "6a0000000000000000000009", title: "new", ACL: acl(users.alice.id) };
        const todoLines = jsonLines([todos[0], newTodo, ...todos.slice(1)]).split("\n");
        todoLines[2] = todoLines[2].slice(0, 40); // line 3, cut off
        const leanCloud = writeExport("leancloud-corrupted", {
            ...leanCloudFiles(),
            "_User.0.jsonl": jsonLines([...leanUsers, newUser]),
            "Note.0.jsonl": jsonLines([{ objectId: "6c0000000000000000000001", text: "new class", ACL: acl(users.bob.id) }]),
            "Todo.0.jsonl": todoLines.join("\n"),
        });
        let res = await wxbase("import", "leancloud", leanCloud, "--appid", appId, "--json");
        assert.notEqual(res.code, 0, res.output);
        assert.match(res.output, /nothing was imported: .*Todo\.0\.jsonl:3: /);
        assert.deepEqual(snapshot(build.dataDir), was);

        // In CloudBase's pretty-printed records, a value missing on line 14
        // (the second record's "qty").
        const text = prettyConcatenated([...orders, { _id: "e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0", _openid: "oNewUserXXXXXXXXXXXXXXXXXXXX", item: "new" }]);
        const lines = text.split("\n");
        assert.equal(lines[13], '  "qty": 1,');
        lines[13] = '  "qty": ,';
        const cloudBase = writeExport("cloudbase-corrupted", {
            "orders.json": lines.join("\n"),
            "coupons.json": jsonLines([{ _id: "k1", _openid: users.bob.openid, code: "NEW" }]),
        });
        res = await wxbase("import", "cloudbase", cloudBase, "--appid", appId, "--json");
        assert.notEqual(res.code, 0, res.output);
        assert.match(res.output, /nothing was imported: .*orders\.json:14: /);
        assert.deepEqual(snapshot(build.dataDir), was);
    });
});

describe("served again", () => {
    before(async () => {
        await serve();
        for (const name of Object.keys(users)) await signIn(name);
    });

    test("each user logs in as the same user and reads the same documents as before the imports that followed", async () => {
        assert.ok(views, "the first reads did not run");
        for (const [name, user] of Object.entries(signedIn)) {
            if (users[name].id) assert.equal(user.record.id, users[name].id, name);
            assert.deepEqual(await readAll(user), views[name], name);
        }
        assert.equal(await userCount(), 5);
    });

    test(
        "a record changed here after the import keeps the change when the same export is imported twice more",
        async () => {
            const todo = () => signedIn.alice.db.collection("Todo").doc(todoIds.mum);
            assert.deepEqual(plain(await todo().update({ data: { title: "call mum on Sunday" } })).stats, { updated: 1 });
            signOut();
            await server.stop();
            const said = [];
            for (let i = 1; i <= 2; i++) {
                const report = await imported("leancloud", leanCloudExport);
                said.push(`import ${i}: ` + report.notes.concat(report.problems).join("; "));
            }
            await serve();
            await signIn("alice");
            assert.equal((await todo().get()).data.title, "call mum on Sunday", said.join("\n"));
            // Nothing changed at the source: no import may say it did.
            assert.equal(/were updated|at the source/.test(said.join("\n")), false, said.join("\n"));
        },
    );
});
