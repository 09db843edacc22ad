// The wx.cloud.database()-style facade against the real server: every call
// with its CloudBase result shape, each operator, paging, writes, owners.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Device, plain } from "./helpers/device.mjs";
import { creatorOnly, ownerField, startServer } from "./helpers/server.mjs";

let server;
let alice; // { app, db, _, device, id, openid, run, sdk }
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
    const { record, openid } = await app.login();
    const db = app.database();
    return { app, db, _: db.command, device, id: record.id, openid, run, sdk };
}

/** seed creates records as the superuser, owned by ownerId, in batches of 50. */
async function seed(ownerId, rows) {
    for (let i = 0; i < rows.length; i += 50) {
        const requests = rows.slice(i, i + 50).map((body) => ({ method: "POST", url: "/api/collections/todos/records", body: { owner: ownerId, ...body } }));
        await server.must("POST", "/api/batch", { requests });
    }
}

const asSuperuser = (id) => server.must("GET", `/api/collections/todos/records/${id}`);
const databaseRequests = (device, op) => device.requests.filter((r) => new URL(r.url).pathname === `/api/database/todos/${op}`);
const titles = (res) => plain(res.data).map((d) => d.title).sort();
const unsupported = (err) => err.code === "wxbase_unsupported";
const isDate = (v) => Object.prototype.toString.call(v) === "[object Date]";

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

    test("doc().get() answers { data }: _id, _openid the owner's openid, owner the relation", async () => {
        const { _id } = await alice.db.collection("todos").add({ data: { group: "doc", title: "read me", n: 7, tags: ["a"] } });
        const res = plain(await alice.db.collection("todos").doc(_id).get());
        assert.equal(res.errMsg, "document.get:ok");
        assert.equal(res.data._id, _id);
        assert.ok(alice.openid && alice.openid !== alice.id);
        assert.equal(res.data._openid, alice.openid);
        assert.equal(res.data.owner, alice.id);
        assert.equal(res.data.title, "read me");
        assert.equal(res.data.n, 7);
        assert.deepEqual(res.data.tags, ["a"]);
        for (const key of ["id"]) {
            assert.equal(key in res.data, false, key);
        }
    });

    test("doc().update() answers { stats: { updated: 1 } }, as one POST to the database route", async () => {
        const { _id } = await alice.db.collection("todos").add({ data: { group: "doc", title: "old", n: 1 } });
        alice.device.requests.length = 0;
        const res = plain(await alice.db.collection("todos").doc(_id).update({ data: { title: "new", done: true } }));
        assert.deepEqual(res, { stats: { updated: 1 }, errMsg: "document.update:ok" });
        const stored = await asSuperuser(_id);
        assert.deepEqual([stored.title, stored.done, stored.n], ["new", true, 1]);
        assert.equal(alice.device.requests.length, 1);
        assert.equal(databaseRequests(alice.device, "update")[0].method, "POST");
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

    test("doc().set() replaces the record: other fields emptied, owner kept", async () => {
        const { _id } = await alice.db.collection("todos").add({ data: { group: "doc", title: "full", n: 5, tags: ["a", "b"], j: { k: 1 }, done: true } });
        const res = plain(await alice.db.collection("todos").doc(_id).set({ data: { group: "doc", title: "replaced" } }));
        assert.deepEqual(res, { _id, stats: { updated: 1, created: 0 }, errMsg: "document.set:ok" });
        const stored = await asSuperuser(_id);
        assert.deepEqual(
            { title: stored.title, n: stored.n, tags: stored.tags, j: stored.j, done: stored.done, owner: stored.owner },
            { title: "replaced", n: 0, tags: [], j: null, done: false, owner: alice.id },
        );
        // A JSON field that holds nothing is absent from the document, as a field never written is in CloudBase.
        const doc = plain((await alice.db.collection("todos").doc(_id).get()).data);
        assert.equal("j" in doc, false);
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

    test("add({ data: [...] }) creates every document or none", async () => {
        const todos = alice.db.collection("todos");
        const res = plain(await todos.add({ data: [{ group: "batch-add", n: 1 }, { group: "batch-add", n: 2 }] }));
        assert.equal(res._ids.length, 2);
        assert.equal(res.errMsg, "collection.add:ok");
        await assert.rejects(todos.add({ data: [{ group: "batch-add", n: 3 }, { group: "batch-add", capped: 11 }] }), (err) => err.status === 400);
        assert.equal((await todos.where({ group: "batch-add" }).count()).total, 2);
    });

    test("a field the collection does not have is refused by name, and nothing is written", async () => {
        const todos = alice.db.collection("todos");
        await assert.rejects(todos.add({ data: { group: "unknown-field", colour: "red", size: 2 } }), (err) => {
            return err.status === 400 && err.code === "wxbase_unknown_field" && /"colour", "size"/.test(err.message);
        });
        const { _id } = await todos.add({ data: { group: "unknown-field" } });
        await assert.rejects(todos.doc(_id).update({ data: { colour: "red" } }), (err) => err.code === "wxbase_unknown_field" && /colour/.test(err.message));
        await assert.rejects(todos.doc(_id).set({ data: { colour: "red" } }), (err) => err.code === "wxbase_unknown_field");
        // A value its field cannot hold as it is: stored otherwise, it would read back as something else.
        await assert.rejects(todos.add({ data: { group: "unknown-field", n: "5" } }), (err) => err.status === 400 && /"n"/.test(err.message));
        assert.equal((await todos.where({ group: "unknown-field" }).count()).total, 1);
    });
});

describe("dates", () => {
    test("a Date is stored as a date and read back as a Date, on date fields and inside JSON", async () => {
        const { run, db } = alice;
        const due = run("new Date('2024-05-06T07:08:09.123Z')");
        const { _id } = await db.collection("todos").add({ data: { group: "dates", due, j: { at: due, list: [due] } } });
        const { data } = await db.collection("todos").doc(_id).get();
        assert.ok(isDate(data.due) && isDate(data.j.at) && isDate(data.j.list[0]));
        assert.equal(data.due.toISOString(), "2024-05-06T07:08:09.123Z");
        assert.equal(data.j.at.getTime(), due.getTime());
        assert.equal((await asSuperuser(_id)).due, "2024-05-06 07:08:09.123Z");
        // Compared as dates, in a date field and in JSON.
        const after = run("new Date('2024-05-06T00:00:00Z')");
        assert.equal((await db.collection("todos").where({ group: "dates", due: db.command.gt(after) }).count()).total, 1);
        assert.equal((await db.collection("todos").where({ group: "dates", j: { at: db.command.gt(after) } }).count()).total, 1);
        assert.equal((await db.collection("todos").where({ group: "dates", j: { at: db.command.lt(after) } }).count()).total, 0);
    });

    test("db.serverDate() is the server's clock at write time, plus its offset", async () => {
        const { db } = alice;
        const start = Date.now();
        const { _id } = await db.collection("todos").add({ data: { group: "dates", due: db.serverDate(), j: { later: db.serverDate({ offset: 3600 * 1000 }) } } });
        const end = Date.now();
        const { data } = await db.collection("todos").doc(_id).get();
        assert.ok(isDate(data.due) && isDate(data.j.later));
        assert.ok(data.due.getTime() >= start - 1000 && data.due.getTime() <= end + 1000, "the server's clock");
        assert.ok(Math.abs(data.j.later.getTime() - data.due.getTime() - 3600 * 1000) < 1000, "with the offset");
        await db.collection("todos").doc(_id).update({ data: { due: db.serverDate({ offset: -86400 * 1000 }) } });
        const updated = (await db.collection("todos").doc(_id).get()).data.due;
        assert.ok(Math.abs(updated.getTime() - (Date.now() - 86400 * 1000)) < 5000);
        // In a query: records due before the server's now.
        assert.equal((await db.collection("todos").where({ _id, due: db.command.lt(db.serverDate()) }).count()).total, 1);
    });
});

describe("geo", () => {
    test("db.Geo values are stored as GeoJSON and read back as db.Geo values; geoNear sorts by distance", async () => {
        const { db, _ } = alice;
        await server.createCollection({ name: "shops", listRule: "", viewRule: "", createRule: "@request.auth.id != ''", fields: [ownerField, { name: "name", type: "text" }, { name: "place", type: "json" }] });
        const shops = db.collection("shops");
        const here = db.Geo.Point(113.32, 23.11);
        await shops.add({ data: { name: "here", place: new db.Geo.Point(113.32, 23.11) } });
        await shops.add({ data: { name: "near", place: db.Geo.Point(113.33, 23.11) } });
        await shops.add({ data: { name: "far", place: db.Geo.Point(114.0, 23.5) } });
        const { data } = await shops.where({ name: "here" }).get();
        assert.ok(data[0].place instanceof db.Geo.Point);
        assert.deepEqual([data[0].place.longitude, data[0].place.latitude], [113.32, 23.11]);
        assert.deepEqual(plain(data[0].place), { type: "Point", coordinates: [113.32, 23.11] });
        // Nearest first; a shop at the very spot is at distance 0 and kept.
        const near = await shops.where({ place: _.geoNear({ geometry: here, maxDistance: 5000 }) }).get();
        assert.deepEqual(plain(near.data).map((d) => d.name), ["here", "near"]);
        const ring = await shops.where({ place: _.geoNear({ geometry: here, minDistance: 1, maxDistance: 100000 }) }).get();
        assert.deepEqual(plain(ring.data).map((d) => d.name), ["near", "far"]);
        const area = db.Geo.Polygon([db.Geo.LineString([db.Geo.Point(113, 23), db.Geo.Point(113.5, 23), db.Geo.Point(113.5, 23.3), db.Geo.Point(113, 23.3), db.Geo.Point(113, 23)])]);
        const within = await shops.where({ place: _.geoWithin({ geometry: area }) }).get();
        assert.deepEqual(plain(within.data).map((d) => d.name).sort(), ["here", "near"]);
    });
});

describe("update operators", () => {
    let doc;
    let id;

    before(async () => {
        ({ _id: id } = await alice.db.collection("todos").add({ data: { group: "ops-update", title: "t", n: 5, tags: ["a"], j: { list: [1, 2], k: 1, deep: { x: 1 } } } }));
        doc = alice.db.collection("todos").doc(id);
    });

    const stored = async () => plain((await doc.get()).data);

    test("inc, mul, min and max on a number field and on a JSON path", async () => {
        const { _ } = alice;
        await doc.update({ data: { n: _.inc(2), j: { k: _.inc(-3) } } });
        assert.deepEqual([(await stored()).n, (await stored()).j.k], [7, -2]);
        await doc.update({ data: { n: _.mul(3), j: { k: _.mul(2) } } });
        assert.deepEqual([(await stored()).n, (await stored()).j.k], [21, -4]);
        await doc.update({ data: { n: _.min(10), j: { k: _.max(0) } } });
        assert.deepEqual([(await stored()).n, (await stored()).j.k], [10, 0]);
        await doc.update({ data: { n: _.max(5) } });
        assert.equal((await stored()).n, 10);
    });

    test("push, pull, pullAll, addToSet, pop, shift and unshift on a JSON array", async () => {
        const { _ } = alice;
        const list = async () => (await stored()).j.list;
        await doc.update({ data: { j: { list: _.push(3, { x: 1 }) } } });
        assert.deepEqual(await list(), [1, 2, 3, { x: 1 }]);
        await doc.update({ data: { j: { list: _.pull({ x: 1 }) } } });
        assert.deepEqual(await list(), [1, 2, 3]);
        await doc.update({ data: { j: { list: _.push({ each: [9, 0], position: 1, sort: 1, slice: 4 }) } } });
        assert.deepEqual(await list(), [0, 1, 2, 3]);
        await doc.update({ data: { j: { list: _.addToSet(2) } } });
        await doc.update({ data: { j: { list: _.addToSet({ each: [4, 3] }) } } });
        assert.deepEqual(await list(), [0, 1, 2, 3, 4]);
        await doc.update({ data: { j: { list: _.pull(_.gt(2)) } } });
        assert.deepEqual(await list(), [0, 1, 2]);
        await doc.update({ data: { j: { list: _.pop() } } });
        await doc.update({ data: { j: { list: _.shift() } } });
        assert.deepEqual(await list(), [1]);
        await doc.update({ data: { j: { list: _.unshift(-1, 0) } } });
        assert.deepEqual(await list(), [-1, 0, 1]);
        await doc.update({ data: { j: { list: _.pullAll([-1, 1]) } } });
        assert.deepEqual(await list(), [0]);
    });

    test("push and pull on multi-value select and relation fields", async () => {
        const { _ } = alice;
        await doc.update({ data: { tags: _.push(["b", "c"]) } });
        await doc.update({ data: { tags: _.pull("a") } });
        assert.deepEqual((await asSuperuser(id)).tags, ["b", "c"]);
        await doc.update({ data: { tags: _.pullAll(["b", "c"]) } });
        assert.deepEqual((await asSuperuser(id)).tags, []);
        await doc.update({ data: { watchers: _.push(bob.id) } });
        await doc.update({ data: { watchers: _.push(alice.id) } });
        assert.deepEqual((await asSuperuser(id)).watchers, [bob.id, alice.id]);
        await doc.update({ data: { watchers: _.pull(bob.id) } });
        assert.deepEqual((await asSuperuser(id)).watchers, [alice.id]);
    });

    test("a nested object merges, _.set() replaces, _.remove() removes, _.rename() moves", async () => {
        const { _ } = alice;
        await doc.update({ data: { j: { deep: { y: 2 } } } });
        assert.deepEqual((await stored()).j.deep, { x: 1, y: 2 });
        await doc.update({ data: { j: { deep: _.set({ z: 3 }) } } });
        assert.deepEqual((await stored()).j.deep, { z: 3 });
        await doc.update({ data: { j: { deep: { z: _.rename("j.moved") } } } });
        const moved = await stored();
        assert.deepEqual([moved.j.deep, moved.j.moved], [{}, 3]);
        await doc.update({ data: { j: { moved: _.remove() }, note: "temporary" } });
        await doc.update({ data: { note: _.remove() } });
        const removed = await stored();
        assert.equal("moved" in removed.j, false);
        assert.equal(removed.note, "");
    });

    test("what cannot apply is a clear error, and nothing is written", async () => {
        const { _ } = alice;
        const before = await asSuperuser(id);
        const refused = [
            { title: _.inc(1) }, // not a number
            { title: _.push("x") }, // not an array
            { n: _.gt(1) }, // a query operator
            { j: { list: _.push(1), "list.0": 2 } }, // two operators on one path
            { _openid: "someone" }, // the owner is the server's
        ];
        for (const data of refused) {
            await assert.rejects(doc.update({ data }), (err) => err.status === 400 || unsupported(err), JSON.stringify(Object.keys(data)));
        }
        await assert.rejects(alice.db.collection("todos").add({ data: { n: _.inc(1) } }), unsupported);
        assert.deepEqual(await asSuperuser(id), before);
    });

    test("update operators are atomic: 50 at once lose nothing", async () => {
        const { _, db } = alice;
        const { _id } = await db.collection("todos").add({ data: { group: "atomic-ops", n: 0, j: { count: 0, list: [] } } });
        const target = db.collection("todos").doc(_id);
        await Promise.all(
            Array.from({ length: 50 }, (_unused, i) => [
                target.update({ data: { j: { list: _.push(i) } } }),
                target.update({ data: { n: _.inc(1) } }),
                target.update({ data: { j: { count: _.inc(1) } } }),
            ]).flat(),
        );
        const after = plain((await target.get()).data);
        assert.equal(after.j.list.length, 50);
        assert.deepEqual([...after.j.list].sort((a, b) => a - b), Array.from({ length: 50 }, (_unused, i) => i));
        assert.equal(after.n, 50);
        assert.equal(after.j.count, 50);
    });
});

describe("queries", () => {
    // Expected answers come from these rows and a predicate per query.
    const rows = [
        { title: "r1", n: 1, done: false, tags: ["a"], j: { k: 1, list: [1, 2] }, due: "2024-01-01T00:00:00Z" },
        { title: "r2", n: 2, done: true, tags: ["a", "b"], j: { k: 2, list: [3] }, due: "2024-02-01T00:00:00Z" },
        { title: "r3", n: 3, done: false, tags: ["b", "c"], j: { k: 3, deep: { x: "y" }, list: [{ id: 1, v: 5 }, { id: 2, v: 9 }] }, due: "2024-03-01T00:00:00Z" },
        { title: "r4", n: 4, done: true, tags: [], j: null },
        { title: `it's "quoted" && n > 0`, n: 5, done: false, tags: ["d"], j: { k: "5" } },
        { title: "R6", n: 6, done: true, tags: ["c"], j: { k: null, list: [] } },
    ];
    const ids = {};

    before(async () => {
        for (const row of rows) {
            const data = { group: "ops", ...row };
            if (row.due) {
                data.due = alice.run(`new Date(${JSON.stringify(row.due)})`);
            }
            ids[row.title] = (await alice.db.collection("todos").add({ data }))._id;
        }
    });

    const expect = (pred) => rows.filter(pred).map((r) => r.title).sort();
    const query = (cond) => alice.db.collection("todos").where(alice._.and({ group: "ops" }, cond)).limit(100).get();

    test("each operator and its combinations", async () => {
        const { _, run, db } = alice;
        const has = (r, path) => r.j !== null && r.j !== undefined && path in r.j;
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
            ["nor()", _.nor([{ n: 1 }, { done: true }]), (r) => !(r.n === 1 || r.done)],
            ["not()", { n: _.not(_.gt(2)) }, (r) => !(r.n > 2)],
            ["a multi-value field holds a value", { tags: "b" }, (r) => r.tags.includes("b")],
            ["a multi-value field lacks a value", { tags: _.neq("b") }, (r) => !r.tags.includes("b")],
            ["a multi-value field holds any of", { tags: _.in(["a", "d"]) }, (r) => r.tags.some((t) => ["a", "d"].includes(t))],
            ["a whole array, in order", { tags: ["a", "b"] }, (r) => r.tags.join() === "a,b"],
            ["all()", { tags: _.all(["b", "c"]) }, (r) => r.tags.includes("b") && r.tags.includes("c")],
            ["size()", { tags: _.size(2) }, (r) => r.tags.length === 2],
            ["JSON path", { j: { k: 2 } }, (r) => r.j?.k === 2],
            ["dot path", { "j.k": 2 }, (r) => r.j?.k === 2],
            ["deep JSON path", { j: { deep: { x: "y" } } }, (r) => r.j?.deep?.x === "y"],
            ["JSON path compared: numbers only", { j: { k: _.gte(2) } }, (r) => typeof r.j?.k === "number" && r.j.k >= 2],
            ["JSON path compared: strings only", { j: { k: _.gte("") } }, (r) => typeof r.j?.k === "string"],
            ["a scalar against a JSON array", { j: { list: 3 } }, (r) => Array.isArray(r.j?.list) && r.j.list.includes(3)],
            ["an array element compared", { j: { list: _.gt(2) } }, (r) => Array.isArray(r.j?.list) && r.j.list.some((v) => typeof v === "number" && v > 2)],
            ["elemMatch of values", { j: { list: _.elemMatch(_.gt(1).and(_.lt(3))) } }, (r) => (r.j?.list || []).some((v) => v > 1 && v < 3)],
            ["elemMatch of objects", { j: { list: _.elemMatch({ id: 2, v: _.gt(8) }) } }, (r) => r.title === "r3"],
            ["a path through an array", { "j.list.id": 1 }, (r) => r.title === "r3"],
            ["exists", { j: { deep: _.exists(true) } }, (r) => has(r, "deep")],
            ["exists(false)", { j: { deep: _.exists(false) } }, (r) => !has(r, "deep")],
            ["null matches null and missing", { j: { k: null } }, (r) => !has(r, "k") || r.j.k === null],
            ["neq null", { j: { k: _.neq(null) } }, (r) => has(r, "k") && r.j.k !== null],
            ["an empty JSON field is null", { j: null }, (r) => r.j === null],
            ["mod", { n: _.mod(2, 1) }, (r) => r.n % 2 === 1],
            ["regular expression literal", { title: run("/^r/i") }, (r) => /^r/i.test(r.title)],
            ["db.RegExp", { title: db.RegExp({ regexp: "^R", options: "" }) }, (r) => /^R/.test(r.title)],
            ["regular expressions in in()", { title: _.in([run("/6$/"), "r1"]) }, (r) => /6$/.test(r.title) || r.title === "r1"],
            ["date", { due: _.gte(run("new Date('2024-02-01T00:00:00Z')")) }, (r) => !!r.due && r.due >= "2024-02-01"],
            ["a date never set is null", { due: null }, (r) => !r.due],
            ["mixed types: a string is not greater than a number", { n: _.gt("0") }, () => false],
            ["quotes are bound, not spliced", { title: rows[4].title }, (r) => r === rows[4]],
            ["an injection attempt matches nothing", { title: `x" || n > 0 || title = "` }, () => false],
            ["_id", { _id: ids.r2 }, (r) => r.title === "r2"],
            ["_openid '{openid}'", { _openid: "{openid}" }, () => true],
            ["_openid the user's openid", { _openid: alice.openid }, () => true],
            ["_openid another user's openid", { _openid: bob.openid }, () => false],
            ["_openid in()", { _openid: _.in(["nobody", alice.openid]) }, () => true],
        ];
        for (const [name, cond, pred] of cases) {
            assert.deepEqual(titles(await query(cond)), expect(pred), name);
        }
    });

    test("orderBy follows CloudBase's order across types, on fields and dot paths", async () => {
        const order = async (field, dir) => plain((await alice.db.collection("todos").where({ group: "ops" }).orderBy(field, dir).orderBy("n", "asc").get()).data).map((d) => d.title);
        // j.k: missing and null first, then numbers, then strings.
        assert.deepEqual(await order("j.k", "asc"), ["r4", "R6", "r1", "r2", "r3", `it's "quoted" && n > 0`]);
        assert.deepEqual(await order("j.k", "desc"), [`it's "quoted" && n > 0`, "r3", "r2", "r1", "r4", "R6"]);
        // Text compares by bytes: upper case first.
        assert.deepEqual((await order("title", "asc")).slice(0, 2), ["R6", "it's \"quoted\" && n > 0"]);
        // A date never set sorts first.
        assert.deepEqual((await order("due", "asc")).slice(3), ["r1", "r2", "r3"]);
    });

    test("concurrent reads of one collection all answer (no auto-cancellation)", async () => {
        const { _ } = alice;
        const [few, many, count] = await Promise.all([query({ n: _.lt(3) }), query({ n: _.gte(3) }), alice.db.collection("todos").where({ group: "ops" }).count()]);
        assert.deepEqual(titles(few), expect((r) => r.n < 3));
        assert.deepEqual(titles(many), expect((r) => r.n >= 3));
        assert.equal(count.total, rows.length);
    });

    test("the query travels in CloudBase's own form, values as values", async () => {
        alice.device.requests.length = 0;
        await query({ title: rows[4].title, n: alice._.gt(1) });
        const body = JSON.parse(databaseRequests(alice.device, "get")[0].body);
        assert.deepEqual(body.query, { $and: [{ group: "ops" }, { title: rows[4].title, n: { $gt: 1 } }] });
    });

    test("a second user's '{openid}' matches only their own records", async () => {
        const res = await bob.db.collection("todos").where({ group: "ops", _openid: "{openid}" }).get();
        assert.deepEqual(plain(res.data), []);
        const byAlice = await bob.db.collection("todos").where({ group: "ops", _openid: alice.openid }).get();
        assert.deepEqual(plain(byAlice.data), []);
    });

    test("what cannot run exactly is a clear error", async () => {
        const { _, run } = alice;
        const todos = () => alice.db.collection("todos");
        await assert.rejects(todos().where({ title: run("/(?<=a)b/") }).get(), unsupported, "lookbehind");
        await assert.rejects(todos().where({ title: run("/(a)\\1/") }).get(), unsupported, "backreference");
        await assert.rejects(todos().where({ nothere: 1 }).get(), (err) => err.code === "wxbase_unknown_field" && /nothere/.test(err.message));
        await assert.rejects(todos().orderBy("nothere", "asc").get(), (err) => err.code === "wxbase_unknown_field" && /nothere/.test(err.message));
        assert.throws(() => _.size("x"), unsupported);
        await assert.rejects(todos().where(_.expr(_.aggregate.gt(["$n", 1]))).get(), (err) => err.code === "wxbase_unsupported" && /aggregate\(\)\.match/.test(err.message));
        assert.throws(() => todos().where({ n: _.expr({}) }), unsupported);
        assert.throws(() => todos().where({ n: _.inc(1) }), unsupported);
        assert.throws(() => todos().orderBy("n", "up"), unsupported);
        assert.throws(() => todos().limit(0), unsupported);
        assert.throws(() => todos().skip(-1), unsupported);
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
        const res = plain(await alice.db.collection("todos").where({ group: "ops", n: _.gte(3) }).count());
        assert.deepEqual(res, { total: rows.filter((r) => r.n >= 3).length, errMsg: "collection.count:ok" });
    });

    test("field({}) lists no field, so it returns every field, as in CloudBase", async () => {
        const all = plain(await alice.db.collection("todos").where({ group: "ops" }).get());
        const res = plain(await alice.db.collection("todos").where({ group: "ops" }).field({}).get());
        assert.deepEqual(res.data, all.data);
        assert.ok(Object.keys(res.data[0]).includes("title"));
    });

    test("field() includes, excludes, takes dot paths and slices", async () => {
        const get = async (projection) => plain((await alice.db.collection("todos").where({ _id: ids.r3 }).field(projection).get()).data[0]);
        assert.deepEqual(await get({ title: true, n: true }), { _id: ids.r3, title: "r3", n: 3 });
        assert.deepEqual(await get({ title: true, _id: false }), { title: "r3" });
        assert.deepEqual(await get({ "j.deep": true }), { _id: ids.r3, j: { deep: { x: "y" } } });
        const without = await get({ j: false, tags: false });
        assert.equal("j" in without || "tags" in without, false);
        assert.equal(without.title, "r3");
        assert.deepEqual(await get({ "j.list": alice._.project.slice(1) }).then((d) => d.j.list), [{ id: 1, v: 5 }]);
        const one = plain((await alice.db.collection("todos").doc(ids.r3).field({ n: true }).get()).data);
        assert.deepEqual(one, { _id: ids.r3, n: 3 });
    });
});

describe("paging", () => {
    const total = 30;

    before(async () => {
        await seed(alice.id, Array.from({ length: total }, (_, n) => ({ group: "page", title: `p${n}`, n })));
    });

    const range = (from, to) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
    const ns = (res) => plain(res.data).map((d) => d.n);

    test("skip/limit are exact, in one request each", async () => {
        const pages = alice.db.collection("todos").where({ group: "page" }).orderBy("n", "asc");
        for (const [skip, limit] of [[0, 5], [3, 5], [5, 5], [7, 4], [1, 20], [25, 10], [29, 3], [30, 5], [13, 1], [17, 7]]) {
            alice.device.requests.length = 0;
            const res = await pages.skip(skip).limit(limit).get();
            assert.deepEqual(ns(res), range(skip, Math.min(skip + limit, total)), `skip ${skip} limit ${limit}`);
            assert.equal(alice.device.requests.length, 1);
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

    test("limit() above 1000 reads 1000, in one request", async () => {
        await seed(alice.id, Array.from({ length: 1010 }, (_, n) => ({ group: "big", n })));
        alice.device.requests.length = 0;
        const res = await alice.db.collection("todos").where({ group: "big" }).orderBy("n").skip(5).limit(5000).get();
        assert.deepEqual(ns(res), range(5, 1005));
        assert.equal(alice.device.requests.length, 1);
    });
});

describe("where().update() and where().remove()", () => {
    test("update every match at once: { stats: { updated } }", async () => {
        const { _, db, device } = alice;
        for (const n of [1, 2, 3, 4]) {
            await db.collection("todos").add({ data: { group: "bulk", title: `b${n}`, n } });
        }
        device.requests.length = 0;
        const res = plain(await db.collection("todos").where({ group: "bulk", n: _.gte(2) }).update({ data: { done: true, n: _.inc(10) } }));
        assert.deepEqual(res, { stats: { updated: 3 }, errMsg: "collection.update:ok" });
        assert.equal(device.requests.length, 1);
        const after = plain((await db.collection("todos").where({ group: "bulk" }).orderBy("title").get()).data);
        assert.deepEqual(
            after.map((d) => [d.title, d.n, d.done]),
            [["b1", 1, false], ["b2", 12, true], ["b3", 13, true], ["b4", 14, true]],
        );
        const none = plain(await db.collection("todos").where({ group: "bulk", n: _.gt(100) }).update({ data: { done: false } }));
        assert.deepEqual(none.stats, { updated: 0 });
    });

    test("remove every match at once: { stats: { removed } }", async () => {
        const { db } = alice;
        const res = plain(await db.collection("todos").where({ group: "bulk", done: true }).remove());
        assert.deepEqual(res, { stats: { removed: 3 }, errMsg: "collection.remove:ok" });
        assert.equal((await db.collection("todos").where({ group: "bulk" }).count()).total, 1);
    });

    test("a write is all or nothing", async () => {
        const { _, db } = alice;
        await db.collection("todos").add({ data: { group: "atomic", capped: 5 } });
        await db.collection("todos").add({ data: { group: "atomic", capped: 9 } });
        // 9 + 3 breaks the field's maximum of 10, so the whole update fails.
        await assert.rejects(db.collection("todos").where({ group: "atomic" }).update({ data: { capped: _.inc(3) } }), (err) => err.status === 400);
        const values = plain((await db.collection("todos").where({ group: "atomic" }).get()).data).map((d) => d.capped).sort();
        assert.deepEqual(values, [5, 9]);
    });

    test("more than 1000 matches is a clear error, and nothing changes", async () => {
        const q = alice.db.collection("todos").where({ group: "big" });
        await assert.rejects(q.update({ data: { done: true } }), (err) => err.code === "wxbase_batch_too_large" && /more than 1000/.test(err.message));
        await assert.rejects(q.remove(), (err) => err.code === "wxbase_batch_too_large");
        assert.equal((await q.count()).total, 1010);
        assert.equal((await alice.db.collection("todos").where({ group: "big", done: true }).count()).total, 0);
    });

    test("update()/remove() need where(), and change every match whatever orderBy/skip/limit say, as CloudBase", async () => {
        const todos = alice.db.collection("todos");
        await assert.rejects(todos.update({ data: { done: true } }), unsupported);
        await assert.rejects(todos.remove(), unsupported);
        for (const n of [1, 2, 3]) {
            await todos.add({ data: { group: "chained", n } });
        }
        const updated = plain(await todos.where({ group: "chained" }).orderBy("n", "asc").limit(1).update({ data: { done: true } }));
        assert.deepEqual(updated.stats, { updated: 3 });
        const removed = plain(await todos.where({ group: "chained" }).skip(2).limit(1).remove());
        assert.deepEqual(removed.stats, { removed: 3 });
    });
});

describe("owners and other users", () => {
    let mine;

    before(async () => {
        mine = (await alice.db.collection("todos").add({ data: { group: "own", title: "alice's" } }))._id;
    });

    test("the owner cannot be spoofed on create", async () => {
        await assert.rejects(alice.db.collection("todos").add({ data: { group: "own", title: "spoof", _openid: bob.openid } }), (err) => err.status === 400);
        const { _id } = await alice.db.collection("todos").add({ data: { group: "own", title: "spoof", owner: bob.id } });
        assert.equal((await asSuperuser(_id)).owner, alice.id);
        const direct = await alice.app.pb.collection("todos").create({ group: "own", title: "spoof via pb", owner: bob.id });
        assert.equal((await asSuperuser(direct.id)).owner, alice.id);
    });

    test("the owner cannot be changed on update", async () => {
        await assert.rejects(alice.db.collection("todos").doc(mine).update({ data: { owner: bob.id } }), (err) => {
            return err.status === 400 && typeof err.data.owner === "object" && typeof err.message === "string";
        });
        await assert.rejects(alice.db.collection("todos").doc(mine).update({ data: { _openid: bob.openid } }), (err) => err.status === 400);
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
        await assert.rejects(todos.doc(mine).set({ data: { title: "bob's now" } }), (err) => err.status === 404);
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
        await assert.rejects(alice.db.collection("nope").get(), (err) => err.status === 404 && err.url.includes("/api/database/nope/get"));
    });
});
