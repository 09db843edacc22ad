// The wx.cloud.database()-style facade against the real server: every call
// with its CloudBase result shape, each operator, paging, batches, owners.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Device, plain } from "./helpers/device.mjs";
import { creatorOnly, ownerField, startServer } from "./helpers/server.mjs";

let server;
let alice; // { app, db, _, device, id, run, sdk }
let bob;

const todoFields = [
    ownerField,
    { name: "group", type: "text" }, // each test's own records
    { name: "title", type: "text" },
    { name: "note", type: "text" },
    { name: "n", type: "number" },
    { name: "capped", type: "number", max: 10 },
    { name: "done", type: "bool" },
    { name: "tags", type: "select", maxSelect: 4, values: ["a", "b", "c", "d"] },
    { name: "j", type: "json" },
    { name: "due", type: "date" },
    { name: "watchers", type: "relation", collectionId: "_pb_users_auth_", maxSelect: 5 },
];

async function signIn(user, options = {}) {
    const device = new Device({ user });
    const { sdk, run } = device.launch();
    const app = sdk.init({ baseURL: server.url, ...options });
    const { record } = await app.login();
    const db = app.database();
    return { app, db, _: db.command, device, id: record.id, run, sdk };
}

/** seed creates records as the superuser, owned by ownerId, in batches of 50. */
async function seed(ownerId, rows) {
    for (let i = 0; i < rows.length; i += 50) {
        const requests = rows.slice(i, i + 50).map((body) => ({ method: "POST", url: "/api/collections/todos/records", body: { owner: ownerId, ...body } }));
        await server.must("POST", "/api/batch", { requests });
    }
}

const asSuperuser = (id) => server.must("GET", `/api/collections/todos/records/${id}`);
const listRequests = (device) => device.requests.filter((r) => r.method === "GET" && new URL(r.url).pathname === "/api/collections/todos/records");
const titles = (res) => plain(res.data).map((d) => d.title).sort();
const unsupported = (err) => err.code === "wxbase_unsupported" && err.status === 0;

before(async () => {
    server = await startServer();
    await server.createCollection({ name: "todos", ...creatorOnly, fields: todoFields });
    alice = await signIn("db-alice");
    bob = await signIn("db-bob");
});

after(async () => {
    await server?.stop();
});

describe("documents", () => {
    test("add() answers { _id } and the server stamps the owner", async () => {
        const res = plain(await alice.db.collection("todos").add({ data: { group: "doc", title: "first", n: 1 } }));
        assert.deepEqual(Object.keys(res).sort(), ["_id", "errMsg"]);
        assert.equal(res.errMsg, "collection.add:ok");
        const stored = await asSuperuser(res._id);
        assert.equal(stored.owner, alice.id);
        assert.equal(stored.title, "first");
    });

    test("doc().get() answers { data } with _id and _openid in place of id and owner", async () => {
        const { _id } = await alice.db.collection("todos").add({ data: { group: "doc", title: "read me", n: 7, tags: ["a"] } });
        const res = plain(await alice.db.collection("todos").doc(_id).get());
        assert.equal(res.errMsg, "document.get:ok");
        assert.equal(res.data._id, _id);
        assert.equal(res.data._openid, alice.id);
        assert.equal(res.data.title, "read me");
        assert.equal(res.data.n, 7);
        assert.deepEqual(res.data.tags, ["a"]);
        assert.equal("id" in res.data, false);
        assert.equal("owner" in res.data, false);
    });

    test("doc().update() answers { stats: { updated: 1 } }, sent as POST with the PATCH override", async () => {
        const { _id } = await alice.db.collection("todos").add({ data: { group: "doc", title: "old", n: 1 } });
        alice.device.requests.length = 0;
        const res = plain(await alice.db.collection("todos").doc(_id).update({ data: { title: "new", done: true } }));
        assert.deepEqual(res, { stats: { updated: 1 }, errMsg: "document.update:ok" });
        const stored = await asSuperuser(_id);
        assert.deepEqual([stored.title, stored.done, stored.n], ["new", true, 1]);
        const [req] = alice.device.requestsTo(`/records/${_id}`);
        assert.equal(req.method, "POST");
        assert.equal(req.header["X-HTTP-Method-Override"], "PATCH");
        assert.equal(alice.device.requests.some((r) => r.method === "PATCH"), false);
    });

    test("app.pb record updates also work through the override", async () => {
        const rec = await alice.app.pb.collection("todos").create({ group: "doc", title: "pb" });
        const updated = await alice.app.pb.collection("todos").update(rec.id, { title: "pb updated" });
        assert.equal(updated.title, "pb updated");
        assert.equal(updated.owner, alice.id);
    });

    test("doc().update() of a missing record updates 0, as in CloudBase", async () => {
        const res = plain(await alice.db.collection("todos").doc("missing0000000a").update({ data: { title: "x" } }));
        assert.deepEqual(res.stats, { updated: 0 });
    });

    test("doc().set() replaces the record: other fields cleared, owner kept", async () => {
        const { _id } = await alice.db.collection("todos").add({ data: { group: "doc", title: "full", n: 5, tags: ["a", "b"], j: { k: 1 }, done: true } });
        const res = plain(await alice.db.collection("todos").doc(_id).set({ data: { group: "doc", title: "replaced" } }));
        assert.deepEqual(res, { _id, stats: { updated: 1, created: 0 }, errMsg: "document.set:ok" });
        const stored = await asSuperuser(_id);
        assert.deepEqual(
            { title: stored.title, n: stored.n, tags: stored.tags, j: stored.j, done: stored.done, owner: stored.owner },
            { title: "replaced", n: 0, tags: [], j: null, done: false, owner: alice.id },
        );
    });

    test("doc().set() on a missing id creates the record with that id", async () => {
        const id = "setcreated" + Math.random().toString(36).slice(2, 7).padEnd(5, "0");
        const res = plain(await alice.db.collection("todos").doc(id).set({ data: { group: "doc", title: "upserted" } }));
        assert.deepEqual(res, { _id: id, stats: { updated: 0, created: 1 }, errMsg: "document.set:ok" });
        const stored = await asSuperuser(id);
        assert.equal(stored.title, "upserted");
        assert.equal(stored.owner, alice.id);
    });

    test("doc().remove() answers { stats: { removed: 1 } }, then 0; get() of it rejects with 404", async () => {
        const { _id } = await alice.db.collection("todos").add({ data: { group: "doc", title: "bye" } });
        const doc = alice.db.collection("todos").doc(_id);
        assert.deepEqual(plain(await doc.remove()), { stats: { removed: 1 }, errMsg: "document.remove:ok" });
        assert.deepEqual(plain(await doc.remove()).stats, { removed: 0 });
        await assert.rejects(doc.get(), (err) => err instanceof alice.sdk.WxbaseError && err.status === 404 && typeof err.message === "string");
    });
});

describe("update operators", () => {
    let doc;
    let id;

    before(async () => {
        ({ _id: id } = await alice.db.collection("todos").add({ data: { group: "ops-update", title: "t", n: 5, tags: ["a"], j: [1, 2] } }));
        doc = alice.db.collection("todos").doc(id);
    });

    const sent = (device) => JSON.parse(device.requestsTo(`/records/${id}`).filter((r) => r.method === "POST").pop().body);

    test("inc adds to a number field with n+ / n- (atomic on the server)", async () => {
        const { _ } = alice;
        await doc.update({ data: { n: _.inc(2) } });
        assert.deepEqual(sent(alice.device), { "n+": 2 });
        await doc.update({ data: { n: _.inc(-4) } });
        assert.deepEqual(sent(alice.device), { "n-": 4 });
        assert.equal((await asSuperuser(id)).n, 3);
    });

    test("push and pull on a multi-value select use tags+ / tags-", async () => {
        const { _ } = alice;
        await doc.update({ data: { tags: _.push(["b", "c"]) } });
        assert.deepEqual(sent(alice.device), { "tags+": ["b", "c"] });
        await doc.update({ data: { tags: _.pull("a") } });
        assert.deepEqual((await asSuperuser(id)).tags, ["b", "c"]);
        await doc.update({ data: { tags: _.pullAll(["b", "c"]) } });
        assert.deepEqual((await asSuperuser(id)).tags, []);
    });

    test("push and pull on a multi-value relation", async () => {
        const { _ } = alice;
        await doc.update({ data: { watchers: _.push(bob.id) } });
        await doc.update({ data: { watchers: _.push(alice.id) } });
        assert.deepEqual((await asSuperuser(id)).watchers, [bob.id, alice.id]);
        await doc.update({ data: { watchers: _.pull(bob.id) } });
        assert.deepEqual((await asSuperuser(id)).watchers, [alice.id]);
    });

    test("push and pull on a JSON array write the new array (read-modify-write)", async () => {
        const { _ } = alice;
        await doc.update({ data: { j: _.push([3, { x: 1 }]) } });
        assert.deepEqual(sent(alice.device), { j: [1, 2, 3, { x: 1 }] });
        await doc.update({ data: { j: _.pull({ x: 1 }) } });
        assert.deepEqual((await asSuperuser(id)).j, [1, 2, 3]);
    });

    test("push takes several values, an array or { each }, as CloudBase does", async () => {
        const { _ } = alice;
        await doc.update({ data: { tags: _.remove() } });
        await doc.update({ data: { tags: _.push("a", "b") } });
        assert.deepEqual(sent(alice.device), { "tags+": ["a", "b"] });
        await doc.update({ data: { tags: _.push({ each: ["c"] }) } });
        assert.deepEqual((await asSuperuser(id)).tags, ["a", "b", "c"]);
        await doc.update({ data: { j: _.set([1]) } });
        await doc.update({ data: { j: _.push(2, 3) } });
        await doc.update({ data: { j: _.push({ each: [4, { x: 5 }] }) } });
        assert.deepEqual((await asSuperuser(id)).j, [1, 2, 3, 4, { x: 5 }]);
        // Options PocketBase has no counterpart for are refused, never pushed as a value.
        for (const options of [{ each: [6], position: 0 }, { each: [6], slice: 2 }, { each: [6], sort: 1 }]) {
            assert.throws(() => _.push(options), unsupported, JSON.stringify(options));
        }
        await doc.update({ data: { tags: _.set(["a"]), j: _.set([1, 2]) } });
    });

    test("set stores a value whole and remove clears a field", async () => {
        const { _ } = alice;
        await doc.update({ data: { j: _.set({ replaced: true }), note: "temporary" } });
        assert.deepEqual((await asSuperuser(id)).j, { replaced: true });
        await doc.update({ data: { note: _.remove(), j: _.remove() } });
        const stored = await asSuperuser(id);
        assert.deepEqual([stored.note, stored.j], ["", null]);
    });

    test("what PocketBase cannot do is a clear error, and nothing is written", async () => {
        const { _ } = alice;
        const before = await asSuperuser(id);
        const refused = [
            { j: _.inc(1) }, // a JSON field has no n+
            { title: _.inc(1) }, // not a number
            { title: _.push("x") }, // a single value
            { j: { nested: 1 } }, // CloudBase would merge it, PocketBase would replace the field
            { n: _.gt(1) }, // a query operator
            { "bad name": 1 },
        ];
        for (const data of refused) {
            await assert.rejects(doc.update({ data }), unsupported, JSON.stringify(Object.keys(data)));
        }
        assert.throws(() => _.mul(2), unsupported);
        assert.throws(() => _.pull(_.gt(1)), unsupported);
        await assert.rejects(alice.db.collection("todos").add({ data: { n: _.inc(1) } }), unsupported);
        assert.deepEqual(await asSuperuser(id), before);
    });
});

describe("queries", () => {
    // Expected answers come from these rows and a predicate per query.
    const rows = [
        { title: "r1", n: 1, done: false, tags: ["a"], j: { k: 1 }, due: "2024-01-01 00:00:00.000Z" },
        { title: "r2", n: 2, done: true, tags: ["a", "b"], j: { k: 2 }, due: "2024-02-01 00:00:00.000Z" },
        { title: "r3", n: 3, done: false, tags: ["b", "c"], j: { k: 3, deep: { x: "y" } }, due: "2024-03-01 00:00:00.000Z" },
        { title: "r4", n: 4, done: true, tags: [], j: null },
        { title: `it's "quoted" && n > 0`, n: 5, done: false, tags: ["d"], j: { k: 5 } },
        { title: "r6", n: 6, done: true, tags: ["c"], j: { k: 6 } },
    ];
    const ids = {};

    before(async () => {
        for (const row of rows) {
            ids[row.title] = (await alice.db.collection("todos").add({ data: { group: "ops", ...row } }))._id;
        }
    });

    const expect = (pred) => rows.filter(pred).map((r) => r.title).sort();
    const query = (cond) => alice.db.collection("todos").where(alice._.and({ group: "ops" }, cond)).limit(100).get();

    test("each operator and its combinations", async () => {
        const { _, run } = alice;
        const cases = [
            ["implicit eq", { done: false }, (r) => !r.done],
            ["eq", { n: _.eq(3) }, (r) => r.n === 3],
            ["neq", { n: _.neq(3) }, (r) => r.n !== 3],
            ["gt", { n: _.gt(4) }, (r) => r.n > 4],
            ["gte", { n: _.gte(4) }, (r) => r.n >= 4],
            ["lt", { n: _.lt(2) }, (r) => r.n < 2],
            ["lte", { n: _.lte(2) }, (r) => r.n <= 2],
            ["in", { n: _.in([1, 3, 5]) }, (r) => [1, 3, 5].includes(r.n)],
            ["in []", { n: _.in([]) }, () => false],
            ["nin", { n: _.nin([1, 3, 5]) }, (r) => ![1, 3, 5].includes(r.n)],
            ["nin []", { n: _.nin([]) }, () => true],
            ["field and()", { n: _.gt(1).and(_.lt(5)) }, (r) => r.n > 1 && r.n < 5],
            ["command and()", { n: _.and(_.gt(1), _.lt(5)) }, (r) => r.n > 1 && r.n < 5],
            ["field or()", { n: _.lt(2).or(_.gt(5)) }, (r) => r.n < 2 || r.n > 5],
            ["command or()", { n: _.or([_.lt(2), _.gt(5)]) }, (r) => r.n < 2 || r.n > 5],
            ["top-level or()", _.or([{ n: 1 }, { done: true }]), (r) => r.n === 1 || r.done],
            ["top-level and()", _.and([{ n: _.gt(1) }, { done: false }]), (r) => r.n > 1 && !r.done],
            ["array holds a value", { tags: "b" }, (r) => r.tags.includes("b")],
            ["array lacks a value", { tags: _.neq("b") }, (r) => !r.tags.includes("b")],
            ["array holds any of", { tags: _.in(["a", "d"]) }, (r) => r.tags.some((t) => ["a", "d"].includes(t))],
            ["JSON path", { j: { k: 2 } }, (r) => r.j?.k === 2],
            ["deep JSON path", { j: { deep: { x: "y" } } }, (r) => r.j?.deep?.x === "y"],
            ["JSON path compared", { j: { k: _.gte(3) } }, (r) => r.j?.k >= 3],
            ["null", { j: null }, (r) => r.j === null],
            ["date", { due: _.gte(run("new Date('2024-02-01T00:00:00Z')")) }, (r) => !!r.due && r.due >= "2024-02-01"],
            ["quotes are bound, not spliced", { title: rows[4].title }, (r) => r === rows[4]],
            ["an injection attempt matches nothing", { title: `x" || n > 0 || title = "` }, () => false],
            ["_id", { _id: ids.r2 }, (r) => r.title === "r2"],
            ["_openid '{openid}'", { _openid: "{openid}" }, () => true],
        ];
        for (const [name, cond, pred] of cases) {
            assert.deepEqual(titles(await query(cond)), expect(pred), name);
        }
    });

    test("concurrent reads of one collection all answer (no auto-cancellation)", async () => {
        const { _ } = alice;
        const [few, many, count] = await Promise.all([query({ n: _.lt(3) }), query({ n: _.gte(3) }), alice.db.collection("todos").where({ group: "ops" }).count()]);
        assert.deepEqual(titles(few), expect((r) => r.n < 3));
        assert.deepEqual(titles(many), expect((r) => r.n >= 3));
        assert.equal(count.total, rows.length);
    });

    test("values travel through pb.filter as bound parameters", async () => {
        alice.device.requests.length = 0;
        await query({ title: rows[4].title });
        const filter = new URL(listRequests(alice.device)[0].url).searchParams.get("filter");
        assert.ok(filter.includes(JSON.stringify(rows[4].title)), filter);
    });

    test("a second user's '{openid}' matches only their own records", async () => {
        const res = await bob.db.collection("todos").where({ group: "ops", _openid: "{openid}" }).get();
        assert.deepEqual(plain(res.data), []);
        const byAlice = await bob.db.collection("todos").where({ group: "ops", _openid: alice.id }).get();
        assert.deepEqual(plain(byAlice.data), []);
    });

    test("what PocketBase filters cannot express is a clear error", async () => {
        const { _, run } = alice;
        const refused = [{ tags: ["a", "b"] }, { title: run("/r/") }, { "bad key": 1 }, { n: _.inc(1) }, { j: {} }];
        for (const cond of refused.slice(0, 4)) {
            await assert.rejects(alice.db.collection("todos").where(cond).get(), unsupported, JSON.stringify(Object.keys(cond)));
        }
        assert.throws(() => _.exists(true), unsupported);
        assert.throws(() => _.elemMatch({ a: 1 }), unsupported);
        assert.throws(() => alice.db.collection("todos").field({ title: false }), unsupported);
        assert.throws(() => alice.db.collection("todos").orderBy("n", "up"), unsupported);
        assert.throws(() => alice.db.collection("todos").limit(0), unsupported);
        assert.throws(() => alice.db.collection("todos").limit(1001), unsupported);
        assert.throws(() => alice.db.collection("todos").skip(-1), unsupported);
    });

    test("where() refuses what CloudBase refuses, and drops undefined keys otherwise", async () => {
        const todos = () => alice.db.collection("todos");
        const invalid = (err) => err.code === "wxbase_invalid_query" && /undefined|对象/.test(err.message);
        const all = (await todos().count()).total;
        assert.ok(all >= rows.length);

        // Every value undefined would match every record: refused at once,
        // before anything is sent, so where({ _id: maybeUndefined }).remove()
        // removes nothing.
        assert.throws(() => todos().where({ _id: undefined }), invalid);
        assert.throws(() => todos().where({ a: undefined, b: undefined }), invalid);
        assert.throws(() => todos().where({ _id: undefined }).remove(), invalid);
        assert.throws(() => todos().where(), invalid);
        assert.throws(() => todos().where(null), invalid);
        assert.throws(() => todos().where("done = false"), invalid);
        assert.equal((await todos().count()).total, all, "nothing was removed");

        // Otherwise undefined keys are dropped: the optional filter pattern.
        const maybe = undefined;
        assert.deepEqual(titles(await query({ done: false, n: maybe })), expect((r) => !r.done));
        // where({}) is every record.
        assert.equal((await todos().where({}).count()).total, all);
    });

    test("count() answers { total }", async () => {
        const { _ } = alice;
        alice.device.requests.length = 0;
        const res = plain(await alice.db.collection("todos").where({ group: "ops", n: _.gte(3) }).count());
        assert.deepEqual(res, { total: rows.filter((r) => r.n >= 3).length, errMsg: "collection.count:ok" });
        const [req] = listRequests(alice.device);
        assert.equal(new URL(req.url).searchParams.get("skipTotal"), null, "count() needs the total");
    });

    test("field({}) lists no field, so it returns every field, as in CloudBase", async () => {
        const all = plain(await alice.db.collection("todos").where({ group: "ops" }).get());
        const res = plain(await alice.db.collection("todos").where({ group: "ops" }).field({}).get());
        assert.deepEqual(res.data, all.data);
        assert.ok(Object.keys(res.data[0]).includes("title"));
    });

    test("field() returns _id and the listed fields only", async () => {
        const res = plain(await alice.db.collection("todos").where({ group: "ops" }).field({ title: true, n: true }).get());
        assert.equal(res.data.length, rows.length);
        for (const doc of res.data) {
            assert.deepEqual(Object.keys(doc).sort(), ["_id", "n", "title"]);
        }
    });
});

describe("paging", () => {
    const total = 30;

    before(async () => {
        await seed(alice.id, Array.from({ length: total }, (_, n) => ({ group: "page", title: `p${n}`, n })));
    });

    const range = (from, to) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
    const ns = (res) => plain(res.data).map((d) => d.n);

    test("skip/limit are exact when skip is not a multiple of limit, in one request each", async () => {
        const pages = alice.db.collection("todos").where({ group: "page" }).orderBy("n", "asc");
        for (const [skip, limit] of [[0, 5], [3, 5], [5, 5], [7, 4], [1, 20], [25, 10], [29, 3], [30, 5], [13, 1], [17, 7]]) {
            alice.device.requests.length = 0;
            const res = await pages.skip(skip).limit(limit).get();
            assert.deepEqual(ns(res), range(skip, Math.min(skip + limit, total)), `skip ${skip} limit ${limit}`);
            const reqs = listRequests(alice.device);
            assert.equal(reqs.length, 1);
            assert.equal(new URL(reqs[0].url).searchParams.get("skipTotal"), "true", "get() needs no total");
        }
    });

    test("orderBy desc with skip and limit", async () => {
        const res = await alice.db.collection("todos").where({ group: "page" }).orderBy("n", "desc").skip(3).limit(5).get();
        assert.deepEqual(ns(res), [26, 25, 24, 23, 22]);
    });

    test("get() without limit returns 20, like CloudBase", async () => {
        const res = await alice.db.collection("todos").where({ group: "page" }).orderBy("n").get();
        assert.deepEqual(ns(res), range(0, 20));
    });

    test("a large limit no single page can hold takes two pages, still exact", async () => {
        await seed(alice.id, Array.from({ length: 1010 }, (_, n) => ({ group: "big", n })));
        alice.device.requests.length = 0;
        const res = await alice.db.collection("todos").where({ group: "big" }).orderBy("n").skip(470).limit(531).get();
        assert.deepEqual(ns(res), range(470, 1001));
        assert.equal(listRequests(alice.device).length, 2);
    });
});

describe("where().update() and where().remove()", () => {
    test("update every match in one batch: { stats: { updated } }", async () => {
        const { _, db, device } = alice;
        for (const n of [1, 2, 3, 4]) {
            await db.collection("todos").add({ data: { group: "bulk", title: `b${n}`, n } });
        }
        device.requests.length = 0;
        const res = plain(await db.collection("todos").where({ group: "bulk", n: _.gte(2) }).update({ data: { done: true, n: _.inc(10) } }));
        assert.deepEqual(res, { stats: { updated: 3 }, errMsg: "collection.update:ok" });
        assert.equal(device.requestsTo("/api/batch").length, 1);
        const after = plain((await db.collection("todos").where({ group: "bulk" }).orderBy("title").get()).data);
        assert.deepEqual(
            after.map((d) => [d.title, d.n, d.done]),
            [["b1", 1, false], ["b2", 12, true], ["b3", 13, true], ["b4", 14, true]],
        );

        device.requests.length = 0;
        const none = plain(await db.collection("todos").where({ group: "bulk", n: _.gt(100) }).update({ data: { done: false } }));
        assert.deepEqual(none.stats, { updated: 0 });
        assert.equal(device.requestsTo("/api/batch").length, 0);
    });

    test("remove every match in one batch: { stats: { removed } }", async () => {
        const { db, device } = alice;
        device.requests.length = 0;
        const res = plain(await db.collection("todos").where({ group: "bulk", done: true }).remove());
        assert.deepEqual(res, { stats: { removed: 3 }, errMsg: "collection.remove:ok" });
        assert.equal(device.requestsTo("/api/batch").length, 1);
        assert.equal((await db.collection("todos").where({ group: "bulk" }).count()).total, 1);
    });

    test("a batch is all or nothing", async () => {
        const { _, db } = alice;
        await db.collection("todos").add({ data: { group: "atomic", capped: 5 } });
        await db.collection("todos").add({ data: { group: "atomic", capped: 9 } });
        // 9 + 3 breaks the field's maximum of 10, so the whole batch fails.
        await assert.rejects(db.collection("todos").where({ group: "atomic" }).update({ data: { capped: _.inc(3) } }), (err) => err.status === 400);
        const values = plain((await db.collection("todos").where({ group: "atomic" }).get()).data).map((d) => d.capped).sort();
        assert.deepEqual(values, [5, 9]);
    });

    test("more matches than one batch holds is a clear error, and nothing changes", async () => {
        const small = await signIn("db-small-batch", { maxBatchRequests: 2 });
        for (const n of [1, 2, 3]) {
            await small.db.collection("todos").add({ data: { group: "too-many", n } });
        }
        const q = small.db.collection("todos").where({ group: "too-many" });
        await assert.rejects(q.update({ data: { done: true } }), (err) => err.code === "wxbase_batch_too_large" && /more than 2/.test(err.message));
        await assert.rejects(q.remove(), (err) => err.code === "wxbase_batch_too_large");
        assert.equal((await q.count()).total, 3);
        assert.equal((await small.db.collection("todos").where({ group: "too-many", done: true }).count()).total, 0);
        assert.equal(small.device.requestsTo("/api/batch").length, 0);
    });

    test("update()/remove() need where() and ignore no paging silently", async () => {
        const todos = alice.db.collection("todos");
        await assert.rejects(todos.update({ data: { done: true } }), unsupported);
        await assert.rejects(todos.remove(), unsupported);
        await assert.rejects(todos.where({ group: "bulk" }).limit(1).remove(), unsupported);
    });
});

describe("owners and other users", () => {
    let mine;

    before(async () => {
        mine = (await alice.db.collection("todos").add({ data: { group: "own", title: "alice's" } }))._id;
    });

    test("the owner cannot be spoofed on create", async () => {
        const { _id } = await alice.db.collection("todos").add({ data: { group: "own", title: "spoof", _openid: bob.id } });
        assert.equal((await asSuperuser(_id)).owner, alice.id);
        const direct = await alice.app.pb.collection("todos").create({ group: "own", title: "spoof via pb", owner: bob.id });
        assert.equal((await asSuperuser(direct.id)).owner, alice.id);
    });

    test("the owner cannot be changed on update", async () => {
        await assert.rejects(alice.db.collection("todos").doc(mine).update({ data: { _openid: bob.id } }), (err) => {
            return err.status === 400 && typeof err.data.owner === "object" && typeof err.message === "string";
        });
        assert.equal((await asSuperuser(mine)).owner, alice.id);
    });

    test("a second user can neither read nor write creator-only records", async () => {
        const todos = bob.db.collection("todos");
        const before = await asSuperuser(mine);

        await assert.rejects(todos.doc(mine).get(), (err) => err.status === 404);
        assert.deepEqual(plain((await todos.where({ group: "own" }).get()).data), []);
        assert.equal((await todos.where({ group: "own" }).count()).total, 0);
        assert.deepEqual(plain(await todos.doc(mine).update({ data: { title: "bob was here" } })).stats, { updated: 0 });
        assert.deepEqual(plain(await todos.doc(mine).remove()).stats, { removed: 0 });
        await assert.rejects(todos.doc(mine).set({ data: { title: "bob's now" } }), (err) => err.status === 400);
        assert.deepEqual(plain(await todos.where({ _id: mine }).update({ data: { title: "bob" } })).stats, { updated: 0 });
        assert.deepEqual(plain(await todos.where({ _id: mine }).remove()).stats, { removed: 0 });

        assert.deepEqual(await asSuperuser(mine), before);
    });
});

describe("errors", () => {
    test("a server error rejects with status, message, data and code", async () => {
        const direct = await server.api("POST", "/api/collections/todos/records", { tags: ["zzz"] }, alice.app.pb.authStore.token);
        assert.equal(direct.status, 400);
        await assert.rejects(alice.db.collection("todos").add({ data: { tags: ["zzz"] } }), (err) => {
            assert.ok(err instanceof alice.sdk.WxbaseError);
            assert.ok(err instanceof Error || Object.prototype.toString.call(err) === "[object Error]");
            assert.equal(err.status, 400);
            assert.equal(err.message, direct.body.message);
            assert.deepEqual(plain(err.data), direct.body.data);
            assert.equal(err.code, "");
            return true;
        });
        await assert.rejects(alice.db.collection("nope").get(), (err) => err.status === 404 && err.url.includes("/api/collections/nope/records"));
    });
});
