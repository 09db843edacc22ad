// CloudBase database call patterns written by others, with the result
// CloudBase gives for each. corpus.test.mjs runs them.
//
// A pattern:
//   id, source { repo, path, line?, commit } — where the call comes from;
//   side — where that code runs: "client" (a mini-program or the web SDK),
//     "server" (a cloud function or the server SDK), "docs" (documentation
//     examples of wx.cloud.database()). Server-side code is written here in
//     the wx.cloud.database() form ({ data } options, stats results); where
//     the two sides answer differently the expectation says which it is.
//   collection, fields ({ name: PocketBase field type }, as a user moving the
//     data would pick: JSON for arrays, objects and places, which are
//     GeoJSON), seed (records of the signed-in user; _owner: "bob" gives one
//     to a second user), rules ("creator" by default, "readAll"); or
//     collections { name: {...} }, or shared [names of read-only collections
//     in `shared` below];
//   run — an arrow function (it is evaluated in the mini-program's realm, so
//     it sees nothing from this file): (db, _, h) with h.ids (seed ids),
//     h.idsOf[name], h.openid and h.otherOpenid (the users' _openid: their
//     WeChat openids, as app.login() answers them),
//     h.other (the second user's db), h.database(options), and
//     h.callback((cb) => call({ ...options, ...cb })) for the callback style;
//   expect — CloudBase's result (or a function of { ids, openid, ... }), and
//     basis — how it was derived: the source's own assertions, or CloudBase's
//     or MongoDB's documented semantics;
//   differs (optional) — { doc: text of sdk/miniprogram/README.md that
//     documents the difference, expect: wxbase's result }.
// Documents are compared on their non-empty fields (see compare.mjs);
// { $unordered: [...] } where no order is asked for.
import { ANY, ANY_ID, NOW } from "./compare.mjs";

const TCB_ADMIN = { repo: "TencentCloudBase/tcb-admin-node", commit: "33631f08f26f8f46f64713b4155063636b2abd14" };
const TCB_JS = { repo: "TencentCloudBase/tcb-js-sdk", commit: "6868543c039bde6526c6f446d73de3575cda5591" };
const DEMO = { repo: "wechat-miniprogram/miniprogram-demo", commit: "0b1de6f2a28ff185d7139e06b3956d8fdf15f61c" };
const DOCS = { repo: "wdk-docs/wxcloud-docs", commit: "9d87da62a60297a6263e21a89a1c1a25bdb20598" };
const BUPT = { repo: "bupt3061/MiniProjects", commit: "0d8ca94dd67b3e0af2a336c4a62671c098925074" };
// A place as CloudBase stores it: GeoJSON (db.Geo.Point(lon, lat).toJSON()).
const point = (longitude, latitude) => ({ type: "Point", coordinates: [longitude, latitude] });
// A collection whose code picks its own ids is opted in to custom ids, as
// the README's "Custom ids" tells a migrating developer to do.
const customIds = { type: "text", primaryKey: true, system: true, required: true, pattern: "^[A-Za-z0-9_-]+$", min: 1, max: 64, autogeneratePattern: "[a-z0-9]{15}" };
const src = (base, path, line) => ({ ...base, path, ...(line ? { line } : {}) });
const gh = (repo, path, line) => ({ repo, path, ...(line ? { line } : {}) });

// Result shapes of wx.cloud.database().
const list = (data) => ({ data, errMsg: "collection.get:ok" });
const anyOrder = (data) => ({ data: { $unordered: data }, errMsg: "collection.get:ok" });
const doc = (data) => ({ data, errMsg: "document.get:ok" });
const updated = (n) => ({ stats: { updated: n }, errMsg: "collection.update:ok" });
const removed = (n) => ({ stats: { removed: n }, errMsg: "collection.remove:ok" });
const docUpdated = (n) => ({ stats: { updated: n }, errMsg: "document.update:ok" });
const docRemoved = (n) => ({ stats: { removed: n }, errMsg: "document.remove:ok" });
const added = { _id: ANY_ID, errMsg: "collection.add:ok" };
const total = (n) => ({ total: n, errMsg: "collection.count:ok" });
const viaCallback = (success) => ({ success, complete: true });

// --- tcb-admin-node test/database/unit/advanced-operator.test.ts -----------
// The collection its tests share; beforeEach seeds these six records.
const P = [
    { category: "Web", tags: ["JavaScript", "C#"], index: 0, tags2: [1, 2, 3] },
    { category: "Web", tags: ["Go", "C#"], index: 1, tags2: [1, 2, 3] },
    { category: "Life", tags: ["Go", "Python", "JavaScript"], index: 2, tags2: [1, 2, 3] },
    { category: "number", tags: [1, 2, 3, 4, 5, 6, 7, 8, 9], index: 3, tags2: [1, 2, 3] },
    { category: "embedded", tags: [{ value: 1 }, { value: 7 }], index: 4, tags2: [1, 2, 3] },
    {
        category: "float",
        tags: ["Go", "Python", "JavaScript"],
        index: 0.2,
        arr: [
            { name: "A", subObj: {} },
            { name: "B", subObj: {} },
            { name: "C", subObj: {} },
        ],
    },
];
const projection = {
    collection: "test-projection",
    fields: { category: "text", tags: "json", index: "number", tags2: "json", arr: "json" },
    seed: P,
    side: "server",
};
const advanced = (line) => src(TCB_ADMIN, "test/database/unit/advanced-operator.test.ts", line);
const life = (change) => ({ ...P[2], ...change });

// --- the todos of WeChat's database guide (guide/database/read.rst) -------
const todoFields = { description: "text", due: "date", progress: "number", tags: "json", style: "json", done: "bool" };
// due and location are left out of the records here (dates and places have
// patterns of their own), so that each pattern tests its own operator.
const T = [
    { description: "learn cloud database", progress: 20, tags: ["cloud", "database"], style: { color: "white", size: "large" }, done: false },
    { description: "write a novel", progress: 50, tags: ["writing"], style: { color: "yellow", size: "normal" }, done: false },
    { description: "buy milk", progress: 100, tags: ["home"], style: { color: "red", size: "small" }, done: true },
    { description: "plan the trip", progress: 0, tags: ["travel", "family"], style: { color: "blue", size: "large" }, done: false },
    { description: "read a book", progress: 80, tags: ["reading"], style: { color: "white", size: "normal" }, done: false },
];
const todos = { collection: "todos", fields: todoFields, seed: T };

// --- the todo records of bupt3061/MiniProjects' command* cloud functions --
const todoProgress = [
    { title: "a", progress: 10, tags: ["x", "y", "z"] },
    { title: "b", progress: 40, tags: ["y"] },
    { title: "c", progress: 70, tags: [] },
    { title: "d", progress: 100, tags: ["z", "x"] },
];
const buptTodo = { collection: "todo", fields: { title: "json", progress: "number", tags: "json" }, seed: todoProgress, side: "server" };
const buptUser = {
    collection: "user",
    fields: { name: "text", addr: "text", phone: "text" },
    seed: [
        { name: "Jacob", addr: "Beijing", phone: "110" },
        { name: "Anna", addr: "Shanghai", phone: "120" },
        { name: "Jacob", addr: "Shenzhen", phone: "130" },
        { name: "Bob", addr: "Beijing", phone: "140" },
    ],
    side: "server",
};
const bupt = (fn) => src(BUPT, `Alpha/functions/${fn}/index.js`);

// --- tcb-js-sdk test_web/database/command.ts: one record per test ---------
const jsCommand = (line) => src(TCB_JS, "test_web/database/command.ts", line);

/** Read-only collections several patterns share. */
export const shared = {
    // query.limit.test.ts expects at least 1001 records in coll-1.
    "coll-1": { fields: { n: "number" }, seed: () => Array.from({ length: 1005 }, (_, n) => ({ n })) },
};

export const patterns = [
    // ======================= tcb-admin-node: update operators ==============
    {
        id: "tcb-admin/advanced-operator/addToSet",
        source: advanced(68),
        ...projection,
        run: async (db, _) => {
            const update = await db.collection("test-projection").where({ category: "Life" }).update({ data: { tags: _.addToSet("Java") } });
            const after = await db.collection("test-projection").where({ category: "Life" }).get();
            return { update, after };
        },
        expect: { update: updated(1), after: list([life({ tags: ["Go", "Python", "JavaScript", "Java"] })]) },
        basis: "The test asserts updated === 1 and that the Life record's tags then include 'Java'; MongoDB's $addToSet appends a value the array lacks.",
    },
    {
        id: "tcb-admin/advanced-operator/pullAll",
        source: advanced(87),
        ...projection,
        run: async (db, _) => {
            const update = await db.collection("test-projection").where({ category: "Life" }).update({ data: { tags: _.pullAll(["Go"]) } });
            const after = await db.collection("test-projection").where({ category: "Life" }).get();
            return { update, after };
        },
        expect: { update: updated(1), after: list([life({ tags: ["Python", "JavaScript"] })]) },
        basis: "The test asserts updated === 1 and tags deepStrictEqual ['Python', 'JavaScript'].",
    },
    {
        id: "tcb-admin/advanced-operator/pull",
        source: advanced(108),
        ...projection,
        run: async (db, _) => {
            const update = await db.collection("test-projection").where({ category: "Life" }).update({ data: { tags: _.pull("Go") } });
            const after = await db.collection("test-projection").where({ category: "Life" }).get();
            return { update, after };
        },
        expect: { update: updated(1), after: list([life({ tags: ["Python", "JavaScript"] })]) },
        basis: "The test asserts updated === 1 and tags deepStrictEqual ['Python', 'JavaScript'].",
    },
    {
        id: "tcb-admin/advanced-operator/pull-in",
        source: advanced(127),
        ...projection,
        run: async (db, _) => {
            const update = await db.collection("test-projection").where({ category: "Life" }).update({ data: { tags: _.pull(_.in(["Go", "Python"])) } });
            const after = await db.collection("test-projection").where({ category: "Life" }).get();
            return { update, after };
        },
        expect: { update: updated(1), after: list([life({ tags: ["JavaScript"] })]) },
        basis: "The test asserts updated === 1 and tags deepStrictEqual ['JavaScript'].",
    },
    {
        id: "tcb-admin/advanced-operator/pull-two-fields",
        source: advanced(146),
        ...projection,
        run: async (db, _) => {
            const update = await db
                .collection("test-projection")
                .where({ category: "Life" })
                .update({ data: { tags: _.pull(_.in(["Go", "Python"])), tags2: _.pull(1) } });
            const after = await db.collection("test-projection").where({ category: "Life" }).get();
            return { update, after };
        },
        expect: { update: updated(1), after: list([life({ tags: ["JavaScript"], tags2: [2, 3] })]) },
        basis: "The test asserts updated === 1, tags ['JavaScript'] and tags2 [2, 3].",
    },
    {
        id: "tcb-admin/advanced-operator/pull-gte",
        source: advanced(167),
        ...projection,
        run: async (db, _) => {
            const update = await db.collection("test-projection").where({ category: "number" }).update({ data: { tags: _.pull(_.gte(5)) } });
            const after = await db.collection("test-projection").where({ category: "number" }).get();
            return { update, after };
        },
        expect: { update: updated(1), after: list([{ ...P[3], tags: [1, 2, 3, 4] }]) },
        basis: "The test asserts updated === 1 and tags deepStrictEqual [1, 2, 3, 4].",
    },
    {
        id: "tcb-admin/advanced-operator/all",
        source: advanced(188),
        ...projection,
        run: async (db, _) => db.collection("test-projection").where({ tags: _.all(["Go"]) }).get(),
        expect: anyOrder([P[1], P[2], P[5]]),
        basis: "The test asserts 3 records: those whose tags hold 'Go' (MongoDB $all).",
    },
    {
        id: "tcb-admin/advanced-operator/elemMatch-value",
        source: advanced(200),
        ...projection,
        run: async (db, _) => db.collection("test-projection").where({ tags: _.elemMatch(_.gt(2)) }).get(),
        expect: anyOrder([P[3]]),
        basis: "The test asserts data[0].category === 'number'; MongoDB compares numbers with numbers only, so no other record has an item > 2.",
    },
    {
        id: "tcb-admin/advanced-operator/elemMatch-embedded",
        source: advanced(210),
        ...projection,
        run: async (db, _) => db.collection("test-projection").where({ tags: _.elemMatch({ value: _.gt(0) }) }).get(),
        expect: anyOrder([P[4]]),
        basis: "The test asserts data[0].category === 'embedded', the one record with objects in tags.",
    },
    {
        id: "tcb-admin/advanced-operator/size",
        source: advanced(224),
        ...projection,
        run: async (db, _) => db.collection("test-projection").where({ tags: _.size(2) }).get(),
        expect: anyOrder([P[0], P[1], P[4]]),
        basis: "The test asserts data[0].category === 'Web'; MongoDB's $size 2 matches every tags array of two items: both Web records and the embedded one.",
    },
    {
        id: "tcb-admin/advanced-operator/exists",
        source: advanced(236),
        ...projection,
        run: async (db, _) => db.collection("test-projection").where({ tags: _.exists(true) }).get(),
        expect: anyOrder(P),
        basis: "The test asserts data.length === data.length of the seed: every record has tags.",
    },
    {
        id: "tcb-admin/advanced-operator/exists-in-elemMatch",
        source: advanced(245),
        ...projection,
        run: async (db, _) => db.collection("test-projection").where({ tags: _.elemMatch({ value: _.exists(true) }) }).get(),
        expect: anyOrder([P[4]]),
        basis: "The test asserts one record, category 'embedded'.",
    },
    {
        id: "tcb-admin/advanced-operator/mod-in-elemMatch",
        source: advanced(260),
        ...projection,
        run: async (db, _) => db.collection("test-projection").where({ tags: _.elemMatch({ value: _.mod([4, 3]) }) }).get(),
        expect: anyOrder([P[4]]),
        basis: "The test asserts one record, category 'embedded' (7 % 4 === 3).",
    },
    {
        id: "tcb-admin/advanced-operator/rename",
        source: advanced(275),
        ...projection,
        fields: { ...projection.fields, cat: "text" },
        run: async (db, _) => {
            const update = await db.collection("test-projection").where({ category: "Life" }).update({ data: { category: _.rename("cat") } });
            const after = await db.collection("test-projection").where({ cat: "Life" }).get();
            return { update, after };
        },
        expect: { update: updated(1), after: list([{ cat: "Life", tags: P[2].tags, index: 2, tags2: P[2].tags2 }]) },
        basis: "The test asserts updated === 1 and that where({ cat: 'Life' }) finds the record with cat 'Life' ($rename moves the value).",
    },
    {
        id: "tcb-admin/advanced-operator/max",
        source: advanced(317),
        ...projection,
        run: async (db, _) => {
            const update = await db.collection("test-projection").where({ category: "Life" }).update({ data: { index: _.max(100) } });
            const after = await db.collection("test-projection").where({ category: "Life" }).get();
            return { update, after };
        },
        expect: { update: updated(1), after: list([life({ index: 100 })]) },
        basis: "The test asserts updated === 1 and index === 100 ($max keeps the larger of 2 and 100).",
    },
    {
        id: "tcb-admin/advanced-operator/min",
        source: advanced(336),
        ...projection,
        run: async (db, _) => {
            const update = await db.collection("test-projection").where({ category: "Life" }).update({ data: { index: _.min(0) } });
            const after = await db.collection("test-projection").where({ category: "Life" }).get();
            return { update, after };
        },
        expect: { update: updated(1), after: list([life({ index: 0 })]) },
        basis: "The test asserts updated === 1 and index === 0.",
    },
    {
        id: "tcb-admin/advanced-operator/push-array",
        source: advanced(398),
        ...projection,
        run: async (db, _) => {
            const update = await db.collection("test-projection").where({ category: "Life" }).update({ data: { tags2: _.push([1, 2, 3]) } });
            const after = await db.collection("test-projection").where({ category: "Life" }).get();
            return { update, after };
        },
        expect: { update: updated(1), after: list([life({ tags2: [1, 2, 3, 1, 2, 3] })]) },
        basis: "The test asserts tags2 deepStrictEqual [1, 2, 3, 1, 2, 3].",
    },
    {
        id: "tcb-admin/advanced-operator/push-one",
        source: advanced(417),
        ...projection,
        run: async (db, _) => {
            const update = await db.collection("test-projection").where({ category: "Life" }).update({ data: { tags2: _.push(1) } });
            const after = await db.collection("test-projection").where({ category: "Life" }).get();
            return { update, after };
        },
        expect: { update: updated(1), after: list([life({ tags2: [1, 2, 3, 1] })]) },
        basis: "The test asserts tags2 deepStrictEqual [1, 2, 3, 1].",
    },
    {
        id: "tcb-admin/advanced-operator/push-several",
        source: advanced(436),
        ...projection,
        run: async (db, _) => {
            const update = await db.collection("test-projection").where({ category: "Life" }).update({ data: { tags2: _.push(1, 2, 3) } });
            const after = await db.collection("test-projection").where({ category: "Life" }).get();
            return { update, after };
        },
        expect: { update: updated(1), after: list([life({ tags2: [1, 2, 3, 1, 2, 3] })]) },
        basis: "The test asserts tags2 deepStrictEqual [1, 2, 3, 1, 2, 3].",
    },
    {
        id: "tcb-admin/advanced-operator/push-each-sort-slice",
        source: advanced(455),
        ...projection,
        run: async (db, _) => {
            const update = await db
                .collection("test-projection")
                .where({ category: "Life" })
                .update({ data: { tags2: _.push({ each: [4, 5, 6], sort: -1, slice: 3 }) } });
            const after = await db.collection("test-projection").where({ category: "Life" }).get();
            return { update, after };
        },
        expect: { update: updated(1), after: list([life({ tags2: [6, 5, 4] })]) },
        basis: "The test asserts tags2 deepStrictEqual [6, 5, 4].",
    },
    {
        id: "tcb-admin/advanced-operator/not-gt",
        source: advanced(480),
        ...projection,
        run: async (db, _) => db.collection("test-projection").where({ index: _.not(_.gt(1)) }).get(),
        expect: anyOrder([P[0], P[1], P[5]]),
        basis: "The test asserts 3 records: index 0, 1 and 0.2.",
    },
    {
        id: "tcb-admin/advanced-operator/inc-float",
        source: advanced(553),
        ...projection,
        run: async (db, _) => {
            const update = await db.collection("test-projection").where({ category: "float" }).update({ data: { index: _.inc(-0.05) } });
            const after = await db.collection("test-projection").where({ category: "float" }).get();
            return { update, after };
        },
        expect: { update: updated(1), after: list([{ ...P[5], index: 0.2 - 0.05 }]) },
        basis: "The test asserts updated === 1 and index strictEqual 0.2 - 0.05.",
    },
    {
        id: "tcb-admin/advanced-operator/remove-in-array",
        source: advanced(575),
        ...projection,
        run: async (db, _) => {
            const update = await db
                .collection("test-projection")
                .where({ category: "float" })
                .update({ data: { arr: { [0]: { subObj: _.remove() }, [1]: _.remove() } } });
            const after = await db.collection("test-projection").where({ category: "float" }).get();
            return { update, after };
        },
        expect: { update: updated(1), after: list([{ ...P[5], arr: [{ name: "A" }, null, { name: "C", subObj: {} }] }]) },
        basis: "The test asserts arr[1] === null and arr[0] deepStrictEqual { name: 'A' } ($unset of an array item leaves null).",
    },
    {
        id: "tcb-admin/logic-operators/nor",
        source: src(TCB_ADMIN, "test/database/unit/logic-operators.ts", 34),
        collection: "test-projection",
        fields: { category: "text", tags: "json" },
        seed: P.slice(0, 3).map(({ category, tags }) => ({ category, tags })),
        side: "server",
        run: async (db, _) => db.collection("test-projection").where({ category: _.nor(_.eq("Life"), _.eq("Web")) }).get(),
        expect: list([]),
        basis: "The test asserts data deepStrictEqual []: every record is Life or Web.",
    },

    // ======================= tcb-admin-node: collections and documents =====
    {
        id: "tcb-admin/collection/add-where-update-remove",
        source: src(TCB_ADMIN, "test/database/unit/collection.test.ts", 60),
        collection: "coll-1",
        fields: { name: "text", age: "number" },
        side: "server",
        run: async (db, _) => {
            const add = await db.collection("coll-1").add({ data: { name: "huming" } });
            const update = await db.collection("coll-1").where({ name: db.command.eq("huming") }).update({ data: { age: 18 } });
            const remove = await db.collection("coll-1").where({ name: db.command.eq("huming") }).remove();
            return { add, update, remove };
        },
        expect: { add: added, update: updated(1), remove: removed(1) },
        basis: "The test asserts an id from add(), updated > 0 and deleted > 0; one record matches.",
    },
    {
        id: "tcb-admin/collection/where-without-argument",
        source: src(TCB_ADMIN, "test/database/unit/collection.test.ts", 128),
        collection: "coll-1",
        fields: { name: "text" },
        side: "server",
        run: async (db) => db.collection("coll-1").where().get(),
        expect: { $error: { message: /查询参数必须为对象/ } },
        basis: "The test asserts e.message === ErrorCode.QueryParamTypeError, '查询参数必须为对象' (@cloudbase/database src/constant.ts).",
    },
    {
        id: "tcb-admin/collection/where-every-value-undefined",
        source: src(TCB_ADMIN, "test/database/unit/collection.test.ts", 135),
        collection: "coll-1",
        fields: { name: "text" },
        side: "server",
        run: async (db) => db.collection("coll-1").where({ a: undefined }).get(),
        expect: { $error: { message: /查询参数对象值不能均为undefined/ } },
        basis: "The test asserts e.message === ErrorCode.QueryParamValueError, '查询参数对象值不能均为undefined'.",
    },
    {
        id: "tcb-admin/collection/where-empty-object",
        source: src(TCB_ADMIN, "test/database/unit/collection.test.ts", 146),
        collection: "coll-1",
        fields: { name: "text" },
        seed: [{ name: "aaa" }, { name: "bbb" }],
        side: "server",
        run: async (db) => {
            const byName = await db.collection("coll-1").where({ name: "aaa" }).get();
            const all = await db.collection("coll-1").where({}).get();
            return { byName, all };
        },
        expect: { byName: list([{ name: "aaa" }]), all: anyOrder([{ name: "aaa" }, { name: "bbb" }]) },
        basis: "The test asserts both where({ name: 'aaa' }) and where({}) find records; where({}) is every record.",
    },
    {
        id: "tcb-admin/collection/limit-1",
        source: src(TCB_ADMIN, "test/database/unit/collection.test.ts", 50),
        collection: "coll-1",
        fields: { name: "text" },
        seed: [{ name: "a" }, { name: "b" }, { name: "c" }],
        side: "server",
        run: async (db) => (await db.collection("coll-1").limit(1).get()).data.length,
        expect: 1,
        basis: "The test asserts data.length === limit (1).",
    },
    {
        id: "tcb-admin/collection/orderBy-missing-field",
        source: src(TCB_ADMIN, "test/database/unit/collection.test.ts", 41),
        collection: "coll-1",
        fields: { name: "text" },
        seed: [{ name: "a" }, { name: "b" }],
        side: "server",
        run: async (db) => db.collection("coll-1").orderBy("huming", "asc").get(),
        expect: anyOrder([{ name: "a" }, { name: "b" }]),
        basis: "The test asserts an array: sorting on a field no record has leaves every record (MongoDB sorts a missing field as null).",
        differs: {
            doc: "and in `where()` and `orderBy()`, where CloudBase, which has no schema, reads it as missing from every document",
            expect: { $error: { code: "wxbase_unknown_field", errMsg: /^collection\.get:fail/ } },
        },
    },
    {
        id: "tcb-admin/collection/field-number-1",
        source: src(TCB_ADMIN, "test/database/unit/collection.test.ts", 86),
        collection: "coll-1",
        fields: { name: "text", age: "number" },
        seed: [
            { name: "huming", age: 18 },
            { name: "aaa", age: 20 },
        ],
        side: "server",
        run: async (db) => db.collection("coll-1").field({ age: 1 }).get(),
        expect: anyOrder([{ age: 18 }, { age: 20 }]),
        basis: "The test asserts an array; field({ age: 1 }) is MongoDB's projection: _id and age only (1 means include).",
    },
    {
        id: "tcb-admin/document/remove-missing",
        source: src(TCB_ADMIN, "test/database/unit/document.test.ts", 98),
        collection: "coll-2",
        fields: { category: "text" },
        seed: [{ category: "Web" }],
        side: "server",
        run: async (db) => db.collection("coll-2").doc("aB3dE5f7A9c1B2d3E4f5a6b7").remove(),
        expect: docRemoved(0),
        basis: "The test asserts !data.deleted for a generated id (Util.generateDocId: 24 characters) that no record has.",
    },
    {
        id: "tcb-admin/document/remove",
        source: src(TCB_ADMIN, "test/database/unit/document.test.ts", 104),
        collection: "coll-2",
        fields: { category: "text", tags: "json" },
        seed: [
            { category: "Web", tags: ["JavaScript", "C#"] },
            { category: "Life", tags: ["Go"] },
        ],
        side: "server",
        run: async (db) => {
            const documents = await db.collection("coll-2").get();
            return db.collection("coll-2").doc(documents.data[0]._id).remove();
        },
        expect: docRemoved(1),
        basis: "The test asserts deleted === 1.",
    },
    {
        id: "tcb-admin/order/regexp-literal-orderBy",
        source: src(TCB_ADMIN, "test/database/unit/order.test.ts", 54),
        collection: "coll-1",
        fields: { category: "text", value: "number" },
        seed: [
            ...Array.from({ length: 7 }, (_, i) => ({ category: "类别B", value: i / 10 })),
            ...Array.from({ length: 3 }, (_, i) => ({ category: "类别C", value: i / 10 })),
            { category: "类别A", value: 0.5 },
        ],
        side: "server",
        run: async (db) => (await db.collection("coll-1").where({ category: /^类别/i }).orderBy("category", "asc").get()).data.map((d) => d.category),
        expect: ["类别A", ...Array(7).fill("类别B"), ...Array(3).fill("类别C")],
        basis: "The test asserts 11 records, the first '类别A' and the last '类别C'.",
    },
    {
        id: "tcb-admin/order/db-RegExp-remove",
        source: src(TCB_ADMIN, "test/database/unit/order.test.ts", 65),
        collection: "coll-1",
        fields: { category: "text", value: "number" },
        seed: [{ category: "类别A" }, { category: "类别B" }, { category: "other" }],
        side: "server",
        run: async (db) => db.collection("coll-1").where({ category: db.RegExp({ regexp: "^类别" }) }).remove(),
        expect: removed(2),
        basis: "The test asserts deleted >= 11 for its 11 matching records; here two of three match.",
    },

    // ======================= tcb-admin-node: regular expressions ===========
    ...[
        ["regexp-literal", 45, (db) => db.collection("coll-1").where({ name: /^abcdef.*\d+结尾$/i }).get()],
        ["new-db-RegExp", 54, (db) => db.collection("coll-1").where({ name: new db.RegExp({ regexp: "^abcdef.*\\d+结尾$", options: "i" }) }).get()],
        ["db-RegExp", 66, (db) => db.collection("coll-1").where({ name: db.RegExp({ regexp: "^abcdef.*\\d+结尾$", options: "i" }) }).get()],
        ["db-RegExp-and-literal", 78, (db) => db.collection("coll-1").where({ name: db.RegExp({ regexp: "^abcdef.*\\d+结尾$", options: "i" }), name2: /fff/ }).get()],
        [
            "or-of-regexps",
            91,
            (db) =>
                db
                    .collection("coll-1")
                    .where(db.command.or({ name: db.RegExp({ regexp: "^abcdef.*\\d+结尾$", options: "i" }), name2: db.RegExp({ regexp: "fffffff", options: "i" }) }))
                    .get(),
        ],
    ].map(([name, line, run]) => ({
        id: `tcb-admin/regex-query/${name}`,
        source: src(TCB_ADMIN, "test/database/unit/regex-query.test.ts", line),
        collection: "coll-1",
        fields: { name: "text", name2: "text" },
        seed: [
            { name: "AbCdEfxxxxxxxxxxxxxx1234结尾", name2: "fffffffffffffffffff" },
            { name: "something else", name2: "ggg" },
        ],
        side: "server",
        run,
        expect: list([{ name: "AbCdEfxxxxxxxxxxxxxx1234结尾", name2: "fffffffffffffffffff" }]),
        basis: "The test asserts data.length > 0; the pattern matches the first record only (case-insensitive).",
    })),
    {
        id: "tcb-admin/regex-query/field-or-of-regexps-update",
        source: src(TCB_ADMIN, "test/database/unit/regex-query.test.ts", 125),
        collection: "coll-1",
        fields: { name: "text" },
        seed: [{ name: "AbCdEfxxxxxxxxxxxxxx1234结尾" }, { name: "zzz" }],
        side: "server",
        run: async (db) => {
            const update = await db
                .collection("coll-1")
                .where({ name: db.command.or(db.RegExp({ regexp: "^abcdef.*\\d+结尾$", options: "i" }), db.RegExp({ regexp: "^fffffff$", options: "i" })) })
                .update({ data: { name: "ABCDEFxxxx5678结尾" } });
            const after = await db.collection("coll-1").get();
            return { update, after };
        },
        expect: { update: updated(1), after: anyOrder([{ name: "ABCDEFxxxx5678结尾" }, { name: "zzz" }]) },
        basis: "The test asserts updated > 0; one record matches the first expression.",
    },

    // ======================= tcb-admin-node: dates =========================
    {
        id: "tcb-admin/date/add-and-read-back",
        source: src(TCB_ADMIN, "test/database/unit/date.test.ts", 48),
        collection: "coll-1",
        fields: { name: "text", date: "date", emptyArray: "json", emptyObject: "json" },
        side: "server",
        run: async (db) => {
            const { _id } = await db.collection("coll-1").add({ data: { name: "test", date: new Date(1565314149491), emptyArray: [], emptyObject: {} } });
            return db.collection("coll-1").where({ _id }).get();
        },
        expect: list([{ name: "test", date: new Date(1565314149491) }]),
        basis: "The test asserts data[0].date.getTime() === date.getTime(): a Date comes back a Date; emptyArray [] and emptyObject {} come back as stored.",
    },
    {
        id: "tcb-admin/date/serverDate",
        source: src(TCB_ADMIN, "test/database/unit/date.test.ts", 36),
        collection: "coll-1",
        fields: { name: "text", serverDate1: "date", serverDate2: "date", foo: "json" },
        side: "server",
        run: async (db) => {
            const offset = 60 * 1000;
            const { _id } = await db.collection("coll-1").add({
                data: { name: "test", serverDate1: db.serverDate(), serverDate2: db.serverDate({ offset }), foo: { bar: db.serverDate({ offset }) } },
            });
            const d = (await db.collection("coll-1").where({ _id }).get()).data[0];
            return { serverDate1: d.serverDate1, gap: d.serverDate2 - d.serverDate1, bar: Object.prototype.toString.call(d.foo && d.foo.bar) };
        },
        expect: { serverDate1: NOW, gap: 60000, bar: "[object Date]" },
        basis: "The test asserts serverDate1 is today, serverDate1 + offset === serverDate2, and util.isDate(foo.bar).",
    },
    ...[
        ["eq", 74, (db) => db.collection("coll-1").where({ date: db.command.eq(new Date(1565314149491)) }).get()],
        ["lte", 82, (db) => db.collection("coll-1").where({ date: db.command.lte(new Date(1565314149491)) }).get()],
        ["lte-and-gte", 90, (db) => db.collection("coll-1").where({ date: db.command.lte(new Date(1565314149491)).and(db.command.gte(new Date(1565314149491))) }).get()],
    ].map(([name, line, run]) => ({
        id: `tcb-admin/date/where-${name}`,
        source: src(TCB_ADMIN, "test/database/unit/date.test.ts", line),
        collection: "coll-1",
        fields: { name: "text", date: "date" },
        seed: [
            { name: "test", date: new Date(1565314149491) },
            { name: "later", date: new Date(1565314249491) },
        ],
        side: "server",
        run,
        expect: list([{ name: "test", date: new Date(1565314149491) }]),
        basis: "The test asserts the record added with that date is found (data[0].date.getTime() === date.getTime()).",
    })),
    {
        id: "tcb-admin/date/where-update-date",
        source: src(TCB_ADMIN, "test/database/unit/date.test.ts", 101),
        collection: "coll-1",
        fields: { name: "text", date: "date" },
        seed: [{ name: "test", date: new Date(1565314149491) }],
        side: "server",
        run: async (db) => {
            const _ = db.command;
            const when = new Date(1565314149491);
            const update = await db.collection("coll-1").where({ date: _.lte(when).and(_.gte(when)) }).update({ data: { date: new Date(1700000000000) } });
            const after = await db.collection("coll-1").get();
            return { update, after };
        },
        expect: { update: updated(1), after: list([{ name: "test", date: new Date(1700000000000) }]) },
        basis: "The test asserts updated === 1 and data[0].date.getTime() === newDate.getTime().",
    },
    {
        id: "tcb-admin/date/update-serverDate-offset",
        source: src(TCB_ADMIN, "test/database/unit/date.test.ts", 100),
        collection: "coll-1",
        fields: { name: "text", serverDate1: "date", serverDate2: "date" },
        seed: () => [{ name: "test", serverDate1: new Date(), serverDate2: new Date() }],
        side: "server",
        run: async (db, _, h) => {
            await db.collection("coll-1").doc(h.ids[0]).update({ data: { serverDate2: new db.serverDate({ offset: 1000 * 60 * 60 }) } });
            const d = (await db.collection("coll-1").doc(h.ids[0]).get()).data;
            return d.serverDate2 - d.serverDate1 > 1000 * 60 * 59;
        },
        expect: true,
        basis: "The test asserts serverDate2 - serverDate1 > one hour after setting serverDate2 to the server's time plus an hour.",
    },
    ...[
        ["direct", 31, (db) => db.collection("test-query-date").where({ date: new Date(1565314149491) }).get(), [0]],
        ["eq", 41, (db) => db.collection("test-query-date").where({ date: db.command.eq(new Date(1565314149491)) }).get(), [0]],
        ["lte", 51, (db) => db.collection("test-query-date").where({ date: db.command.lte(new Date(1565314349491)) }).get(), [0, 1, 2]],
    ].map(([name, line, run, which]) => {
        const dates = [1565314149491, 1565314249491, 1565314349491].map((t) => new Date(t));
        return {
            id: `tcb-admin/query-date/${name}`,
            source: src(TCB_ADMIN, "test/database/unit/query-date.test.ts", line),
            collection: "test-query-date",
            fields: { date: "date" },
            seed: () => [...dates.map((date) => ({ date })), { date: new Date() }],
            side: "server",
            run,
            expect: anyOrder(which.map((i) => ({ date: dates[i] }))),
            basis: "The seed holds three fixed dates and one db.serverDate() (now); the test expects 1, 1 and 3 matches.",
        };
    }),

    // ======================= tcb-admin-node: geo, logic, limits ============
    {
        id: "tcb-admin/geo/point-add-and-read",
        source: src(TCB_ADMIN, "test/database/unit/geo.test.ts", 45),
        collection: "coll-1",
        fields: { point: "json", int: "number" },
        side: "server",
        run: async (db) => {
            const { _id } = await db.collection("coll-1").add({ data: { point: new db.Geo.Point(-180, 20), int: 100 } });
            const res = await db.collection("coll-1").where({ _id }).get();
            return { longitude: res.data[0].point.longitude, latitude: res.data[0].point.latitude };
        },
        expect: { longitude: -180, latitude: 20 },
        basis: "The test asserts data[0].point deepEqual { longitude, latitude }.",
    },
    {
        id: "tcb-admin/index/or-of-and-ranges",
        source: src(TCB_ADMIN, "test/database/index.test.ts", 136),
        collection: "coll-1",
        fields: { a: "number", b: "number" },
        seed: [
            { a: 1, b: 100 },
            { a: 10, b: 1 },
            { a: 5, b: 50 },
        ],
        side: "server",
        run: async (db, _) => {
            const query = _.or([{ b: _.and(_.gte(1), _.lte(10)) }, { b: _.and(_.gt(99), _.lte(101)) }]);
            const found = await db.collection("coll-1").where(query).get();
            const remove = await db.collection("coll-1").where(query).remove();
            return { found, remove };
        },
        expect: {
            found: anyOrder([
                { a: 1, b: 100 },
                { a: 10, b: 1 },
            ]),
            remove: removed(2),
        },
        basis: "The test asserts at least 2 found and deleted 2: b in [1, 10] or (99, 101].",
    },
    {
        id: "tcb-admin/index/compound-and",
        source: src(TCB_ADMIN, "test/database/index.test.ts", 148),
        collection: "coll-1",
        fields: { date: "number", hour: "number" },
        seed: [
            { date: 20190415, hour: 10 },
            { date: 20190415, hour: 13 },
            { date: 20190501, hour: 10 },
        ],
        side: "server",
        run: async (db, _) => db.collection("coll-1").where({ date: _.gt(20190401).and(_.lte(20190430)), hour: _.gt(8).and(_.lte(12)) }).get(),
        expect: list([{ date: 20190415, hour: 10 }]),
        basis: "The test asserts no error; both ranges hold for the first record only.",
    },
    {
        id: "tcb-admin/index/update-nested-nulls",
        source: src(TCB_ADMIN, "test/database/index.test.ts", 95),
        collection: "coll-1",
        fields: { name: "text", data: "json" },
        seed: [{ name: "aaa", data: { a: "a", b: "b", c: "c" } }],
        side: "server",
        run: async (db, _, h) => {
            const update = await db.collection("coll-1").where({ _id: h.ids[0] }).update({ data: { data: { a: null, b: null, c: null } } });
            const after = await db.collection("coll-1").where({ _id: h.ids[0] }).get();
            return { update, after };
        },
        expect: { update: updated(1), after: list([{ name: "aaa", data: { a: null, b: null, c: null } }]) },
        basis: "The test asserts updated > 0 and data deepStrictEqual { a: null, b: null, c: null } (a nested object updates its members).",
    },
    {
        id: "tcb-admin/query-limit/1000",
        source: src(TCB_ADMIN, "test/database/unit/query.limit.test.ts", 53),
        shared: ["coll-1"],
        side: "server",
        run: async (db) => (await db.collection("coll-1").where({}).limit(1000).get()).data.length,
        expect: 1000,
        basis: "The test asserts data.length === 1000 (server side, where 1000 is the largest limit).",
    },
    {
        id: "tcb-admin/query-limit/1001",
        source: src(TCB_ADMIN, "test/database/unit/query.limit.test.ts", 66),
        shared: ["coll-1"],
        side: "server",
        run: async (db) => (await db.collection("coll-1").where({}).limit(1001).get()).data.length,
        expect: 1000,
        basis: "The test asserts data.length === 1000: the server side clamps a larger limit to 1000.",
    },
    {
        id: "tcb-admin/query-limit/101",
        source: src(TCB_ADMIN, "test/database/unit/query.limit.test.ts", 79),
        shared: ["coll-1"],
        side: "server",
        run: async (db) => (await db.collection("coll-1").where({}).limit(101).get()).data.length,
        expect: 101,
        basis: "The test asserts data.length === 101 (server side).",
    },
    {
        id: "tcb-admin/query-limit/default",
        source: src(TCB_ADMIN, "test/database/unit/query.limit.test.ts", 92),
        shared: ["coll-1"],
        side: "server",
        run: async (db) => (await db.collection("coll-1").where({}).get()).data.length,
        expect: 100,
        basis: "The test asserts data.length === 100: the server side's default limit. A mini-program's is 20 (guide/database/read.rst).",
        differs: { doc: "at most 20 without `limit()`", expect: 20 },
    },

    // ======================= tcb-js-sdk (web client) =======================
    ...[
        ["eq", 10, "eq", "text", (db, _) => ({ test: _.eq("eq") })],
        ["neq", 45, "eq", "text", (db, _) => ({ test: _.neq("neq") })],
        ["gt", 80, 100, "number", (db, _) => ({ test: _.gt(10) })],
        ["gte", 115, 100, "number", (db, _) => ({ test: _.gte(100) })],
        ["lt", 150, 100, "number", (db, _) => ({ test: _.lt(111) })],
        ["lte", 185, 100, "number", (db, _) => ({ test: _.lte(100) })],
        ["and-chained", 290, 100, "number", (db, _) => ({ test: _.gt(10).and(_.lt(1000)) })],
        ["and-prefix", 325, 100, "number", (db, _) => ({ test: _.and(_.gt(10), _.lt(1000)) })],
        ["or-chained", 360, 100, "number", (db, _) => ({ test: _.gt(1000).or(_.lt(1111)) })],
        ["or-prefix", 395, 100, "number", (db, _) => ({ test: _.or(_.gt(1000), _.lt(111)) })],
    ].map(([name, line, value, type, query]) => ({
        id: `tcb-js/command/${name}`,
        source: jsCommand(line),
        collection: "coll",
        fields: { test: type },
        side: "client",
        // The test's own flow: add a record, find it, remove what matches.
        run: new Function(
            "query",
            `return async (db, _) => {
                const add = await db.collection("coll").add({ data: { test: ${JSON.stringify(value)} } });
                const q = (${query.toString()})(db, _);
                const found = await db.collection("coll").where(q).get();
                const remove = await db.collection("coll").where(q).remove();
                return { add, found, remove };
            }`,
        )(),
        expect: { add: added, found: list([{ test: value }]), remove: removed(1) },
        basis: "The test asserts an id, data.length >= 1 and deleted >= 1 for the one record it added.",
    })),
    ...[
        ["in", 220, (db, _) => ({ test: _.in([10000, 1000]) })],
        ["nin", 255, (db, _) => ({ test: _.nin([1000, 100000]) })],
    ].map(([name, line, query]) => ({
        id: `tcb-js/command/${name}-array-field`,
        source: jsCommand(line),
        collection: "coll",
        fields: { test: "json" },
        side: "client",
        run: new Function(
            "query",
            `return async (db, _) => {
                await db.collection("coll").add({ data: { test: [100, 10000] } });
                const found = await db.collection("coll").where((${query.toString()})(db, _)).get();
                const remove = await db.collection("coll").where({ test: [100, 10000] }).remove();
                return { found, remove };
            }`,
        )(),
        expect: { found: list([{ test: [100, 10000] }]), remove: removed(1) },
        basis: "The test asserts data.length >= 1 (an array matches when any item does, MongoDB) and that where({ test: [100, 10000] }) (the whole array) removes it.",
    })),
    ...[
        ["inc", 466, { count: 0 }, (_) => ({ count: _.inc(2) }), { count: 2 }, "count === 2"],
        ["mul", 508, { count: 3 }, (_) => ({ count: _.mul(2.5) }), { count: 7.5 }, "count === 7.5"],
        ["push", 586, { test: [100, 10000] }, (_) => ({ test: _.push(1000) }), { test: [100, 10000, 1000] }, "test deepStrictEqual [100, 10000, 1000]"],
        ["pop", 629, { test: [100, 10000] }, (_) => ({ test: _.pop() }), { test: [100] }, "test deepStrictEqual [100]"],
        ["unshift", 671, { test: [100, 10000] }, (_) => ({ test: _.unshift(1000) }), { test: [1000, 100, 10000] }, "test deepStrictEqual [1000, 100, 10000]"],
        ["shift", 713, { test: [100, 10000] }, (_) => ({ test: _.shift() }), { test: [10000] }, "test deepStrictEqual [10000]"],
        ["set-object", 430, { data: { a: 1, b: 2, c: 3 } }, (_) => ({ data: _.set({ a: 1, b: 2 }) }), { data: { a: 1, b: 2 } }, "updated >= 1; set replaces the object whole"],
        ["remove-nested", 550, { data: { a: 1, b: 2, c: 3 } }, (_) => ({ data: { c: _.remove() } }), { data: { a: 1, b: 2 } }, "updated >= 1; removing data.c leaves a and b"],
    ].map(([name, line, record, change, after, asserted]) => ({
        id: `tcb-js/command/${name}`,
        source: jsCommand(line),
        collection: "coll",
        fields: { count: "number", test: "json", data: "json" },
        seed: [record],
        side: "client",
        run: new Function(
            "change",
            `return async (db, _, h) => {
                const update = await db.collection("coll").doc(h.ids[0]).update({ data: (${change.toString()})(_) });
                const read = await db.collection("coll").doc(h.ids[0]).get();
                return { update, read };
            }`,
        )(),
        expect: { update: docUpdated(1), read: doc(after) },
        basis: `The test asserts ${asserted}.`,
    })),
    {
        id: "tcb-js/collection/callbacks-add-update-remove",
        source: src(TCB_JS, "test_web/database/collection.ts", 14),
        collection: "coll",
        fields: { a: "number", age: "number" },
        side: "client",
        run: async (db, _, h) => {
            const add = await h.callback((cb) => db.collection("coll").add({ data: { a: 1 }, ...cb }));
            if (!add.success) return { add };
            const update = await h.callback((cb) => db.collection("coll").doc(add.success._id).update({ data: { age: 18 }, ...cb }));
            const remove = await h.callback((cb) => db.collection("coll").doc(add.success._id).remove({ ...cb }));
            return { add, update, remove };
        },
        expect: { add: viaCallback(added), update: viaCallback(docUpdated(1)), remove: viaCallback(docRemoved(1)) },
        basis: "The test asserts an id, updated > 0 and deleted through callbacks; wx.cloud.database() calls success then complete (guide/database/add.rst).",
    },
    {
        id: "tcb-js/collection/promises-add-update-remove",
        source: src(TCB_JS, "test_web/database/collection.ts", 49),
        collection: "coll",
        fields: { a: "number", age: "number" },
        side: "client",
        run: async (db) => {
            const add = await db.collection("coll").add({ data: { a: 1 } });
            const update = await db.collection("coll").doc(add._id).update({ data: { age: 18 } });
            const remove = await db.collection("coll").doc(add._id).remove();
            return { add, update, remove };
        },
        expect: { add: added, update: docUpdated(1), remove: docRemoved(1) },
        basis: "The test asserts an id, updated > 0 and deleted.",
    },
    {
        id: "tcb-js/collection/skip",
        source: src(TCB_JS, "test_web/database/collection.ts", 122),
        collection: "coll",
        fields: { n: "number" },
        seed: [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }],
        side: "client",
        run: async (db) => (await db.collection("coll").skip(2).get()).data.length,
        expect: 2,
        basis: "skip(n) leaves out the first n records of the result: 4 - 2.",
    },
    {
        id: "tcb-js/collection/remove-ignores-skip",
        source: src(TCB_JS, "test_web/database/collection.ts", 139),
        collection: "coll",
        fields: { text: "text" },
        side: "client",
        run: async (db) => {
            const text = "test for add and remove with skip";
            for (let i = 0; i < 10; i++) await db.collection("coll").add({ data: { text } });
            await db.collection("coll").where({ text }).orderBy("text", "asc").skip(3).remove();
            return db.collection("coll").where({ text }).get();
        },
        expect: list([]),
        basis: "The test asserts data.length === 0 afterwards: where().remove() removes every match, whatever skip() and orderBy() say.",
    },
    {
        id: "tcb-js/document/set-new-id",
        source: src(TCB_JS, "test_web/database/document.ts", 16),
        collection: "coll",
        fields: { id: customIds, name: "text" },
        side: "client",
        run: async (db, _) => {
            const set = await db.collection("coll").doc("aB3dE5f7A9c1B2d3E4f5a6b7").set({ data: { name: "jude" } });
            const found = await db.collection("coll").where({ name: _.eq("jude") }).get();
            return { set, found };
        },
        expect: {
            set: { _id: "aB3dE5f7A9c1B2d3E4f5a6b7", stats: { updated: 0, created: 1 }, errMsg: "document.set:ok" },
            found: list([{ _id: "aB3dE5f7A9c1B2d3E4f5a6b7", name: "jude" }]),
        },
        basis: "The test sets a record at a generated id (24 characters) and finds it by name; doc.set's result holds _id and stats { updated: 0, created: 1 } (client-api/database/collection/doc/set.rst).",
    },

    // ======================= WeChat's miniprogram-demo =====================
    {
        id: "demo/crud/add-callbacks",
        source: src(DEMO, "miniprogram/packageCloud/pages/database/crud/crud.js", 84),
        collection: "todos",
        fields: { description: "text", done: "bool" },
        side: "client",
        run: async (db, _, h) => h.callback((cb) => db.collection("todos").add({ data: { description: "new todo", done: false }, ...cb })),
        expect: viaCallback(added),
        basis: "success gets res._id, then complete runs (the page uses both).",
    },
    {
        id: "demo/crud/query-by-openid",
        source: src(DEMO, "miniprogram/packageCloud/pages/database/crud/crud.js", 126),
        collection: "todos",
        fields: { description: "text", done: "bool" },
        seed: [
            { description: "mine", done: false },
            { description: "mine too", done: true },
        ],
        side: "client",
        run: async (db, _, h) => h.callback((cb) => db.collection("todos").where({ _openid: h.openid }).get({ ...cb })),
        expect: ({ openid }) =>
            viaCallback(
                anyOrder([
                    { _openid: openid, description: "mine", done: false },
                    { _openid: openid, description: "mine too", done: true },
                ]),
            ),
        basis: "Each record carries the creator's _openid; where({ _openid }) finds the user's own.",
    },
    {
        id: "demo/crud/search-db-RegExp",
        source: src(DEMO, "miniprogram/packageCloud/pages/database/crud/crud.js", 162),
        collection: "todos",
        fields: { description: "text", done: "bool" },
        seed: [{ description: "buy milk" }, { description: "bake bread" }, { description: "call mom" }],
        side: "client",
        run: async (db, _, h) => {
            const descriptionCondition = db.RegExp({ regexp: "milk bread".trim().replace(/\s+/g, "|") });
            return h.callback((cb) => db.collection("todos").where({ _openid: h.openid, description: descriptionCondition }).get({ ...cb }));
        },
        expect: viaCallback(anyOrder([{ description: "buy milk" }, { description: "bake bread" }])),
        basis: "The page turns '/milk bread/' into the expression 'milk|bread'; it matches two descriptions.",
    },
    {
        id: "demo/crud/toggle-done",
        source: src(DEMO, "miniprogram/packageCloud/pages/database/crud/crud.js", 202),
        collection: "todos",
        fields: { description: "text", done: "bool" },
        seed: [{ description: "a", done: false }],
        side: "client",
        run: async (db, _, h) => h.callback((cb) => db.collection("todos").doc(h.ids[0]).update({ data: { done: true }, ...cb })),
        expect: viaCallback(docUpdated(1)),
        basis: "doc.update answers { stats: { updated: 1 } } (client-api/database/collection/doc/update.rst).",
    },
    {
        id: "demo/crud-detail/get",
        source: src(DEMO, "miniprogram/packageCloud/pages/nouse/crud-detail/crud-detail.js", 55),
        collection: "todos",
        fields: { description: "text", done: "bool" },
        seed: [{ description: "detail", done: true }],
        side: "client",
        run: async (db, _, h) => h.callback((cb) => db.collection("todos").doc(h.ids[0]).get({ ...cb })),
        expect: ({ ids }) => viaCallback(doc({ _id: ids[0], description: "detail", done: true })),
        basis: "doc.get answers { data: the record } (client-api/database/collection/doc/get.rst).",
    },
    {
        id: "demo/crud-detail/remove",
        source: src(DEMO, "miniprogram/packageCloud/pages/nouse/crud-detail/crud-detail.js", 119),
        collection: "todos",
        fields: { description: "text" },
        seed: [{ description: "bye" }],
        side: "client",
        run: async (db, _, h) => h.callback((cb) => db.collection("todos").doc(h.ids[0]).remove({ ...cb })),
        expect: viaCallback(docRemoved(1)),
        basis: "doc.remove answers { stats: { removed: 1 } }.",
    },
    {
        id: "demo/server-date/add",
        source: src(DEMO, "miniprogram/packageCloud/pages/database/server-date/server-date.js", 136),
        collection: "serverDate",
        fields: { time: "date" },
        side: "client",
        run: async (db) => {
            const res = await db.collection("serverDate").add({ data: { time: db.serverDate() } });
            return (await db.collection("serverDate").doc(res._id).get()).data.time;
        },
        expect: NOW,
        basis: "The page reads res.data.time back as the server's time, a Date (db.serverDate.rst).",
    },
    {
        id: "demo/server-date/update",
        source: src(DEMO, "miniprogram/packageCloud/pages/database/server-date/server-date.js", 85),
        collection: "serverDate",
        fields: { time: "date" },
        seed: [{ time: new Date("2020-01-01T00:00:00Z") }],
        side: "client",
        run: async (db, _, h) => {
            await db.collection("serverDate").doc(h.ids[0]).update({ data: { time: db.serverDate() } });
            return (await db.collection("serverDate").doc(h.ids[0]).get()).data.time;
        },
        expect: NOW,
        basis: "Updating with db.serverDate() stores the server's time.",
    },
    {
        id: "demo/db-permission/query-another-users-record",
        source: src(DEMO, "miniprogram/packageCloud/pages/database/db-permission/db-permission.js", 164),
        collection: "perm1",
        fields: { whatsup: "text" },
        rules: "readAll",
        seed: [{ whatsup: "hello from bob", _owner: "bob" }, { whatsup: "mine" }],
        side: "client",
        run: async (db, _, h) => db.collection("perm1").where({ _openid: h.otherOpenid }).get(),
        expect: ({ otherOpenid }) => list([{ _openid: otherOpenid, whatsup: "hello from bob" }]),
        basis: "With 'everyone reads, the creator writes', another user's record is found by its _openid.",
    },
    {
        id: "demo/db-permission/update-another-users-record",
        source: src(DEMO, "miniprogram/packageCloud/pages/database/db-permission/db-permission.js", 214),
        collection: "perm1",
        fields: { whatsup: "text" },
        rules: "readAll",
        seed: [{ whatsup: "hello from bob", _owner: "bob" }],
        side: "client",
        run: async (db, _, h) => db.collection("perm1").doc(h.ids[0]).update({ data: { whatsup: "overwritten" } }),
        expect: docUpdated(0),
        basis: "The page reads stats.updated === 0 as 'no permission': a record the user may not write is not updated, and nothing fails.",
    },

    // ======================= WeChat's database docs (wx.cloud.database) =====
    {
        id: "docs/where/done-and-progress",
        source: src(DOCS, "source/client-api/database/collection/where.rst", 17),
        ...todos,
        side: "docs",
        run: async (db, _, h) => h.callback((cb) => db.collection("todos").where({ done: false, progress: 50 }).get({ success: cb.success, fail: cb.fail })),
        expect: { success: list([T[1]]), complete: false },
        basis: "Plain values in where() are equality, joined by and: one todo is undone at progress 50.",
    },
    {
        id: "docs/get/skip-limit-page",
        source: src(DOCS, "source/client-api/database/collection/get.rst", 65),
        collection: "todos",
        fields: { n: "number" },
        seed: Array.from({ length: 25 }, (_, n) => ({ n })),
        side: "docs",
        run: async (db, _, h) => (await db.collection("todos").where({ _openid: h.openid }).skip(10).limit(10).get()).data.map((d) => d.n),
        expect: [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
        basis: "skip(10).limit(10) is the second page of ten, in insertion order when no order is given.",
    },
    {
        id: "docs/get/default-20",
        source: src(DOCS, "source/guide/database/read.rst", 127),
        collection: "todos",
        fields: { n: "number" },
        seed: Array.from({ length: 25 }, (_, n) => ({ n })),
        side: "docs",
        run: async (db) => (await db.collection("todos").get()).data.length,
        expect: 20,
        basis: "'小程序端在获取集合数据时服务器一次默认并且最多返回 20 条记录'.",
    },
    {
        id: "docs/field/three-fields",
        source: src(DOCS, "source/client-api/database/collection/field.rst", 16),
        ...todos,
        side: "docs",
        run: async (db) => db.collection("todos").field({ description: true, done: true, progress: true }).get(),
        expect: anyOrder(T.map(({ description, done, progress }) => ({ description, done, progress }))),
        basis: "field() returns _id and the listed fields only.",
    },
    {
        id: "docs/doc/set-custom-id-with-geo",
        source: src(DOCS, "source/client-api/database/collection/doc/set.rst", 39),
        collection: "todos",
        fields: { id: customIds, ...todoFields, location: "json" },
        side: "docs",
        run: async (db) =>
            db
                .collection("todos")
                .doc("todo-identifiant-aleatoire")
                .set({
                    data: {
                        description: "learn cloud database",
                        due: new Date("2018-09-01"),
                        tags: ["cloud", "database"],
                        style: { color: "skyblue" },
                        location: new db.Geo.Point(113, 23),
                        done: false,
                    },
                }),
        expect: { _id: "todo-identifiant-aleatoire", stats: { updated: 0, created: 1 }, errMsg: "document.set:ok" },
        basis: "'如果指定 ID 的记录不存在，则会自动创建该记录，该记录将拥有指定的 ID' (guide/database/update.rst); stats.created 1.",
    },
    {
        id: "docs/doc/set-replaces",
        source: src(DOCS, "source/guide/database/update.rst", 142),
        ...todos,
        side: "docs",
        run: async (db, _, h) => {
            const set = await db
                .collection("todos")
                .doc(h.ids[0])
                .set({ data: { description: "learn cloud database", due: new Date("2018-09-01"), tags: ["cloud", "database"], style: { color: "skyblue" }, done: false } });
            const read = await db.collection("todos").doc(h.ids[0]).get();
            return { set, read };
        },
        expect: ({ ids }) => ({
            set: { _id: ids[0], stats: { updated: 1, created: 0 }, errMsg: "document.set:ok" },
            read: doc({ description: "learn cloud database", due: new Date("2018-09-01"), tags: ["cloud", "database"], style: { color: "skyblue" }, done: false }),
        }),
        basis: "'替换更新意味着用传入的对象替换指定的记录': progress is gone, style is the new object only.",
    },
    {
        id: "docs/update/nested-object-merges",
        source: src(DOCS, "source/client-api/database/command/set.rst", 17),
        ...todos,
        side: "docs",
        run: async (db, _, h) => {
            await db.collection("todos").doc(h.ids[0]).update({ data: { style: { color: "red" } } });
            return (await db.collection("todos").doc(h.ids[0]).get()).data.style;
        },
        expect: { color: "red", size: "large" },
        basis: "'以下方法只会更新 style.color 为 red，而不是将 style 更新为 { color: 'red' }，即不影响 style 中的其他字段'.",
    },
    {
        id: "docs/update/set-replaces-object",
        source: src(DOCS, "source/client-api/database/command/set.rst", 28),
        ...todos,
        side: "docs",
        run: async (db, _, h) => {
            await db.collection("todos").doc(h.ids[0]).update({ data: { style: _.set({ color: "red", size: "large" }) } });
            return (await db.collection("todos").doc(h.ids[0]).get()).data.style;
        },
        expect: { color: "red", size: "large" },
        basis: "'以下方法更新 style 为 { color: 'red', size: 'large' }'.",
    },
    {
        id: "docs/update/set-object-drops-members",
        source: src(DOCS, "source/guide/database/update.rst", 100),
        ...todos,
        side: "docs",
        run: async (db, _, h) => {
            await db.collection("todos").doc(h.ids[0]).update({ data: { style: _.set({ color: "blue" }) } });
            return (await db.collection("todos").doc(h.ids[0]).get()).data.style;
        },
        expect: { color: "blue" },
        basis: "'如果需要将这个 style 字段更新为另一个对象，可以使用 set 指令': size is gone.",
    },
    {
        id: "docs/update/remove-field",
        source: src(DOCS, "source/client-api/database/command/remove.rst", 18),
        ...todos,
        side: "docs",
        run: async (db, _, h) => {
            const update = await db.collection("todos").doc(h.ids[0]).update({ data: { style: _.remove() } });
            const read = await db.collection("todos").doc(h.ids[0]).get();
            return { update, read };
        },
        expect: { update: docUpdated(1), read: doc({ ...T[0], style: undefined }) },
        basis: "'删除 style 字段'.",
    },
    {
        id: "docs/update/push-array",
        source: src(DOCS, "source/client-api/database/command/push.rst", 17),
        ...todos,
        side: "docs",
        run: async (db, _, h) => {
            await db.collection("todos").doc(h.ids[0]).update({ data: { tags: _.push(["mini-program", "cloud"]) } });
            return (await db.collection("todos").doc(h.ids[0]).get()).data.tags;
        },
        expect: ["cloud", "database", "mini-program", "cloud"],
        basis: "'往数组尾部添加一个或多个值'.",
    },
    {
        id: "docs/update/push-one",
        source: src(DOCS, "source/guide/database/update.rst", 69),
        ...todos,
        side: "docs",
        run: async (db, _, h) => {
            await db.collection("todos").doc(h.ids[0]).update({ data: { tags: _.push("mini-program") } });
            return (await db.collection("todos").doc(h.ids[0]).get()).data.tags;
        },
        expect: ["cloud", "database", "mini-program"],
        basis: "'给一条待办事项加多一个标签'.",
    },
    {
        id: "docs/update/pop",
        source: src(DOCS, "source/client-api/database/command/pop.rst", 17),
        ...todos,
        side: "docs",
        run: async (db, _, h) => {
            await db.collection("todos").doc(h.ids[0]).update({ data: { tags: _.pop() } });
            return (await db.collection("todos").doc(h.ids[0]).get()).data.tags;
        },
        expect: ["cloud"],
        basis: "'将数组尾部元素删除'.",
    },
    {
        id: "docs/update/inc",
        source: src(DOCS, "source/guide/database/update.rst", 51),
        ...todos,
        side: "docs",
        run: async (db, _, h) => {
            const res = await h.callback((cb) => db.collection("todos").doc(h.ids[0]).update({ data: { progress: _.inc(10) }, success: cb.success }));
            const read = await db.collection("todos").doc(h.ids[0]).get();
            return { res, progress: read.data.progress };
        },
        expect: { res: { success: docUpdated(1), complete: false }, progress: 30 },
        basis: "'表示指示数据库将字段自增 10'.",
    },
    {
        id: "docs/update/where-inc",
        source: src(DOCS, "source/client-api/database/collection/update.rst", 59),
        ...todos,
        side: "docs",
        run: async (db, _) => {
            const update = await db.collection("todos").where({ done: false }).update({ data: { progress: _.inc(10) } });
            const after = (await db.collection("todos").orderBy("description", "asc").get()).data.map((d) => d.progress);
            return { update, after };
        },
        expect: { update: updated(4), after: [100, 30, 10, 90, 60] },
        basis: "Every undone todo gains 10 ('将所有未完待办事项进度加 10'); stats.updated counts them.",
    },
    {
        id: "docs/update/where-inc-callbacks",
        source: src(DOCS, "source/client-api/database/collection/update.rst", 43),
        ...todos,
        side: "docs",
        run: async (db, _, h) => h.callback((cb) => db.collection("todos").where({ done: false }).update({ data: { progress: _.inc(10) }, success: cb.success, fail: cb.fail })),
        expect: { success: updated(4), complete: false },
        basis: "The callback style of the same update: success gets { stats: { updated: 4 } }.",
    },
    {
        id: "docs/eq/nested-object-matches-members",
        source: src(DOCS, "source/client-api/database/command/eq.rst", 38),
        collection: "articles",
        fields: { title: "text", stat: "json" },
        seed: [
            { title: "a", stat: { publishYear: 2018, language: "zh-CN" } },
            { title: "b", stat: { publishYear: 2018, language: "zh-CN", extra: 1 } },
            { title: "c", stat: { publishYear: 2017, language: "zh-CN" } },
        ],
        side: "docs",
        run: async (db) => (await db.collection("articles").where({ stat: { publishYear: 2018, language: "zh-CN" } }).get()).data.map((d) => d.title).sort(),
        expect: ["a", "b"],
        basis: "'这种写法表示匹配 stat.publishYear == 2018 且 stat.language == 'zh-CN''.",
    },
    {
        id: "docs/eq/object-equality",
        source: src(DOCS, "source/client-api/database/command/eq.rst", 46),
        collection: "articles",
        fields: { title: "text", stat: "json" },
        seed: [
            { title: "a", stat: { publishYear: 2018, language: "zh-CN" } },
            { title: "b", stat: { publishYear: 2018, language: "zh-CN", extra: 1 } },
        ],
        side: "docs",
        run: async (db, _) => (await db.collection("articles").where({ stat: _.eq({ publishYear: 2018, language: "zh-CN" }) }).get()).data.map((d) => d.title),
        expect: ["a"],
        basis: "'这种写法表示 stat 对象等于 { publishYear: 2018, language: 'zh-CN' }'.",
    },
    {
        id: "docs/eq/openid",
        source: src(DOCS, "source/client-api/database/command/eq.rst", 29),
        collection: "articles",
        fields: { title: "text" },
        seed: [{ title: "mine" }],
        side: "docs",
        run: async (db, _, h) => (await db.collection("articles").where({ _openid: _.eq(h.openid) }).get()).data.map((d) => d.title),
        expect: ["mine"],
        basis: "'还可以用指令': _openid: _.eq(openid) is the same as _openid: openid.",
    },
    ...[
        ["dot-path", 48, (db) => db.collection("todos").where({ "style.color": "red" }).get(), "'方式二' (点表示法) matches style.color"],
        ["nested-object", 42, (db) => db.collection("todos").where({ style: { color: "red" } }).get(), "'方式一' matches style.color"],
    ].map(([name, line, run, basis]) => ({
        id: `docs/query-array-object/${name}`,
        source: src(DOCS, "source/guide/database/query-array-object.rst", line),
        ...todos,
        side: "docs",
        run,
        expect: list([T[2]]),
        basis,
    })),
    ...[
        ["array-equals", 69, (db) => ({ numbers: [10, 20, 30] }), ["a"], "'可以传入一个完全相同的数组来筛选出这条记录'"],
        ["array-holds", 81, (db) => ({ numbers: 20 }), ["a", "b"], "'所有 numbers 字段的值包含 20 的记录'"],
        ["array-index", 93, (db) => ({ "numbers.1": 20 }), ["a"], "'number 字段第二项的值为 20 的记录'"],
        ["array-gt", 106, (db, _) => ({ numbers: _.gt(25) }), ["a", "c"], "'数组值中存在包含大于 25 的值的记录'"],
        ["array-gt-and-lt", 115, (db, _) => ({ numbers: _.gt(25).and(_.lt(15)) }), ["a"], "'存在包含大于 25 的值、同时也存在小于 15 的值的记录'"],
    ].map(([name, line, cond, titles, basis]) => ({
        id: `docs/query-array-object/${name}`,
        source: src(DOCS, "source/guide/database/query-array-object.rst", line),
        collection: "todos",
        fields: { title: "text", numbers: "json" },
        seed: [
            { title: "a", numbers: [10, 20, 30] },
            { title: "b", numbers: [20, 21] },
            { title: "c", numbers: [26] },
        ],
        side: "docs",
        run: new Function("cond", `return async (db, _) => (await db.collection("todos").where((${cond.toString()})(db, _)).get()).data.map((d) => d.title).sort()`)(),
        expect: titles,
        basis,
    })),
    ...[
        ["nested-array-index-path", 143, { "root.objects.1.numbers.2": 70 }, "'root.objects 字段数组的第二项的 numbers 字段的第三项等于 70'"],
        ["nested-array-any-path", 151, { "root.objects.numbers": 30 }, "'root.objects 字段数组中任意一项的 numbers 字段包含 30'"],
    ].map(([name, line, cond, basis]) => ({
        id: `docs/query-array-object/${name}`,
        source: src(DOCS, "source/guide/database/query-array-object.rst", line),
        collection: "todos",
        fields: { title: "text", root: "json" },
        seed: [
            { title: "a", root: { objects: [{ numbers: [10, 20, 30] }, { numbers: [50, 60, 70] }] } },
            { title: "b", root: { objects: [{ numbers: [1] }] } },
        ],
        side: "docs",
        run: new Function(`return async (db) => (await db.collection("todos").where(${JSON.stringify(cond)}).get()).data.map((d) => d.title)`)(),
        expect: ["a"],
        basis,
    })),
    {
        id: "docs/query/or-across-fields",
        source: src(DOCS, "source/guide/database/query.rst", 78),
        ...todos,
        side: "docs",
        run: async (db, _) => db.collection("todos").where(_.or([{ progress: _.lte(50) }, { style: { color: _.in(["white", "yellow"]) } }])).get(),
        expect: anyOrder([T[0], T[1], T[3], T[4]]),
        basis: "'查询进度小于或等于 50% 或颜色为白色或黄色的待办事项'.",
    },
    {
        id: "docs/query/eq-or-eq",
        source: src(DOCS, "source/guide/database/query.rst", 64),
        ...todos,
        side: "docs",
        run: async (db, _) => db.collection("todos").where({ progress: _.eq(0).or(_.eq(100)) }).get(),
        expect: anyOrder([T[2], T[3]]),
        basis: "'查询进度为 0 或 100 的待办事项'.",
    },
    {
        id: "docs/query/gt-and-lt",
        source: src(DOCS, "source/guide/database/query.rst", 49),
        ...todos,
        side: "docs",
        run: async (db, _) => db.collection("todos").where({ progress: _.gt(30).and(_.lt(70)) }).get(),
        expect: anyOrder([T[1]]),
        basis: "'查询进度在 30% 和 70% 之间的待办事项'.",
    },
    {
        id: "docs/query/gt",
        source: src(DOCS, "source/guide/database/query.rst", 17),
        ...todos,
        side: "docs",
        run: async (db, _) => db.collection("todos").where({ progress: _.gt(30) }).get(),
        expect: anyOrder([T[1], T[2], T[4]]),
        basis: "'查询进度大于 30% 的待办事项'.",
    },
    {
        id: "docs/command-or/array-form",
        source: src(DOCS, "source/client-api/database/command/or.rst", 42),
        ...todos,
        side: "docs",
        run: async (db, _) => db.collection("todos").where({ progress: _.or([_.gt(80), _.lt(20)]) }).get(),
        expect: anyOrder([T[2], T[3]]),
        basis: "'前置写法也可接收一个数组': progress > 80 or < 20.",
    },
    {
        id: "docs/command-or/across-fields",
        source: src(DOCS, "source/client-api/database/command/or.rst", 52),
        ...todos,
        side: "docs",
        run: async (db, _) => db.collection("todos").where(_.or([{ progress: _.gt(80) }, { done: true }])).get(),
        expect: anyOrder([T[2]]),
        basis: "'筛选出进度大于 80 或已标为已完成的 todo'.",
    },
    {
        id: "docs/geoNear",
        source: src(DOCS, "source/client-api/database/command/geoNear.rst", 21),
        collection: "restaurants",
        fields: { name: "text", location: "json" },
        seed: [
            { name: "near", location: point(113.333809, 23.097732) },
            { name: "far", location: point(114.0, 22.5) },
            { name: "too close", location: point(113.323809, 23.097732) },
        ],
        side: "docs",
        run: async (db) => {
            const _ = db.command;
            const res = await db
                .collection("restaurants")
                .where({ location: _.geoNear({ geometry: db.Geo.Point(113.323809, 23.097732), minDistance: 1000, maxDistance: 5000 }) })
                .get();
            return res.data.map((d) => d.name);
        },
        expect: ["near"],
        basis: "'找出离给定位置 1 公里到 5 公里范围内的记录': 'near' is about 1 km away, the others 0 m and about 100 km.",
    },
    {
        id: "docs/geoWithin/polygon",
        source: src(DOCS, "source/server-api/database/command/geoWithin.rst", 22),
        collection: "restaurants",
        fields: { name: "text", location: "json" },
        seed: [
            { name: "inside", location: point(2, 2) },
            { name: "outside", location: point(5, 5) },
        ],
        side: "server",
        run: async (db) => {
            const _ = db.command;
            const { Point, LineString, Polygon } = db.Geo;
            const res = await db
                .collection("restaurants")
                .where({ location: _.geoWithin({ geometry: Polygon([LineString([Point(0, 0), Point(3, 2), Point(2, 3), Point(0, 0)])]) }) })
                .get();
            return res.data.map((d) => d.name);
        },
        expect: ["inside"],
        basis: "'找出字段值在指定区域内的记录': (2, 2) lies in the triangle (0,0) (3,2) (2,3); (5, 5) does not.",
    },
    {
        id: "docs/add/custom-id",
        source: src(DOCS, "source/client-api/database/collection/add.rst", 38),
        collection: "todos",
        fields: { id: customIds, description: "text", done: "bool" },
        side: "docs",
        run: async (db) => {
            const add = await db.collection("todos").add({ data: { _id: "todo-identifiant-aleatoire", description: "learn cloud database", done: false } });
            const read = await db.collection("todos").doc("todo-identifiant-aleatoire").get();
            return { add, read };
        },
        expect: {
            add: { _id: "todo-identifiant-aleatoire", errMsg: "collection.add:ok" },
            read: doc({ _id: "todo-identifiant-aleatoire", description: "learn cloud database" }),
        },
        basis: "'可选自定义 _id': the record takes the _id given, and add() answers it.",
    },
    {
        id: "docs/regexp/literal-i",
        source: src(DOCS, "source/client-api/database/db.regexp.rst", 51),
        ...todos,
        seed: [{ description: "MiniProgram cloud" }, { description: "web" }],
        side: "docs",
        run: async (db) => db.collection("todos").where({ description: /miniprogram/i }).get(),
        expect: list([{ description: "MiniProgram cloud" }]),
        basis: "A JavaScript regular expression in where() matches the field (flag i: case-insensitive).",
    },
    {
        id: "docs/regexp/db-RegExp-i",
        source: src(DOCS, "source/client-api/database/db.regexp.rst", 56),
        ...todos,
        seed: [{ description: "MiniProgram cloud" }, { description: "web" }],
        side: "docs",
        run: async (db) => db.collection("todos").where({ description: db.RegExp({ regexp: "miniprogram", options: "i" }) }).get(),
        expect: list([{ description: "MiniProgram cloud" }]),
        basis: "db.RegExp({ regexp, options: 'i' }) is the same match.",
    },
    {
        id: "docs/serverDate/update-offset",
        source: src(DOCS, "source/client-api/database/db.serverDate.rst", 28),
        ...todos,
        side: "docs",
        run: async (db, _, h) => {
            await db.collection("todos").doc(h.ids[0]).update({ data: { due: db.serverDate({ offset: 60 * 60 * 1000 }) } });
            const due = (await db.collection("todos").doc(h.ids[0]).get()).data.due;
            return Math.round((due - Date.now()) / 60000);
        },
        expect: 60,
        basis: "'更新字段为服务端时间往后一小时'.",
    },
    {
        id: "docs/count/openid",
        source: src(DOCS, "source/client-api/database/collection/count.rst", 42),
        ...todos,
        side: "docs",
        run: async (db, _, h) => h.callback((cb) => db.collection("todos").where({ _openid: h.openid }).count({ success: cb.success })),
        expect: { success: total(5), complete: false },
        basis: "count() answers { total } of the records the user may read.",
    },
    {
        id: "docs/orderBy/two-fields",
        source: src(DOCS, "source/client-api/database/collection/orderBy.rst", 33),
        collection: "todos",
        fields: { description: "text", progress: "number" },
        seed: [
            { description: "b", progress: 50 },
            { description: "a", progress: 50 },
            { description: "c", progress: 80 },
            { description: "d", progress: 10 },
        ],
        side: "docs",
        run: async (db) => (await db.collection("todos").orderBy("progress", "desc").orderBy("description", "asc").get()).data.map((d) => d.description),
        expect: ["c", "a", "b", "d"],
        basis: "'先按 progress 排降序、再按 description 排升序'.",
    },
    {
        id: "docs/orderBy/dot-path",
        source: src(DOCS, "source/client-api/database/collection/orderBy.rst", 42),
        ...todos,
        side: "docs",
        run: async (db) => (await db.collection("todos").orderBy("style.color", "asc").orderBy("description", "asc").get()).data.map((d) => d.style.color),
        expect: ["blue", "red", "white", "white", "yellow"],
        basis: "'如果需要对嵌套字段排序，需要用 \"点表示法\" 连接嵌套字段，比如 style.color'.",
    },
    {
        id: "docs/limit/10",
        source: src(DOCS, "source/client-api/database/collection/limit.rst", 14),
        collection: "todos",
        fields: { n: "number" },
        seed: Array.from({ length: 15 }, (_, n) => ({ n })),
        side: "docs",
        run: async (db) => (await db.collection("todos").limit(10).get()).data.length,
        expect: 10,
        basis: "limit(10) returns at most 10 records.",
    },

    // ======================= bupt3061/MiniProjects (cloud functions) ========
    ...[
        ["commandAnd", (db, _) => ({ progress: _.gt(20).and(_.lt(80)) }), ["b", "c"]],
        ["commandIn", (db, _) => ({ progress: _.in([10, 100, 55]) }), ["a", "d"]],
        ["commandLittleOrEqual", (db, _) => ({ progress: _.lte(40) }), ["a", "b"]],
        ["commandLittleThan", (db, _) => ({ progress: _.lt(40) }), ["a"]],
        ["commandOr", (db, _) => ({ progress: _.gt(80).or(_.lt(20)) }), ["a", "d"]],
    ].map(([fn, cond, titles]) => ({
        id: `bupt/${fn}`,
        source: bupt(fn),
        ...buptTodo,
        run: new Function(`return async (db, _) => (await db.collection("todo").where((${cond.toString()})(db, _)).get()).data.map((d) => d.title).sort()`)(),
        expect: titles,
        basis: "The comparison over the seed's progress values (10, 40, 70, 100).",
    })),
    {
        id: "bupt/commandEqual",
        source: bupt("commandEqual"),
        ...buptTodo,
        run: async (db, _, h) => (await db.collection("todo").where({ _id: _.eq(h.ids[1]) }).get()).data.map((d) => d.title),
        expect: ["b"],
        basis: "_id: _.eq(id) finds that record.",
    },
    {
        id: "bupt/commandNotEqual",
        source: bupt("commandNotEqual"),
        ...buptTodo,
        run: async (db, _, h) => (await db.collection("todo").where({ _id: _.neq(h.ids[1]) }).get()).data.map((d) => d.title).sort(),
        expect: ["a", "c", "d"],
        basis: "_id: _.neq(id) finds every other record.",
    },
    ...[
        ["commandIncrease", (_) => ({ progress: _.inc(10) }), { progress: 20 }, "inc adds 10 to 10"],
        ["commandMultiply", (_) => ({ progress: _.mul(2) }), { progress: 20 }, "mul doubles 10"],
        ["commandPop", (_) => ({ tags: _.pop() }), { tags: ["x", "y"] }, "pop drops the last item"],
        ["commandShift", (_) => ({ tags: _.shift() }), { tags: ["y", "z"] }, "shift drops the first item"],
        ["commandPush", (_) => ({ tags: _.push(["p", "q"]) }), { tags: ["x", "y", "z", "p", "q"] }, "push appends the array's items"],
        ["commandUnshift", (_) => ({ tags: _.unshift(["p", "q"]) }), { tags: ["p", "q", "x", "y", "z"] }, "unshift puts the items first, in order"],
        ["commandRemove", (_) => ({ tags: _.remove() }), { tags: undefined }, "remove deletes the field"],
        ["commandSet", (_) => ({ title: _.set({ title: "new", date: "2020-01-01" }) }), { title: { title: "new", date: "2020-01-01" } }, "set stores the object whole"],
    ].map(([fn, change, after, basis]) => ({
        id: `bupt/${fn}`,
        source: bupt(fn),
        ...buptTodo,
        run: new Function(
            `return async (db, _, h) => {
                const update = await db.collection("todo").doc(h.ids[0]).update({ data: (${change.toString()})(_) });
                const read = await db.collection("todo").doc(h.ids[0]).get();
                return { update, read };
            }`,
        )(),
        expect: { update: docUpdated(1), read: doc({ ...todoProgress[0], ...after }) },
        basis: `The function's update; ${basis} (client-api/database/command/*.rst).`,
    })),
    {
        id: "bupt/dbCollectionCount",
        source: bupt("dbCollectionCount"),
        ...buptUser,
        run: async (db) => db.collection("user").where({ name: "Jacob" }).count(),
        expect: total(2),
        basis: "count() answers { total } of the matches.",
    },
    {
        id: "bupt/dbCollectionField",
        source: bupt("dbCollectionField"),
        ...buptUser,
        run: async (db) => db.collection("user").where({ name: "Jacob" }).field({ name: true, addr: true }).get(),
        expect: anyOrder([
            { name: "Jacob", addr: "Beijing" },
            { name: "Jacob", addr: "Shenzhen" },
        ]),
        basis: "field() keeps _id and the listed fields.",
    },
    {
        id: "bupt/dbCollectionGetSkip",
        source: bupt("dbCollectionGetSkip"),
        ...buptUser,
        run: async (db, _, h) => (await db.collection("user").where({ _openid: h.openid }).skip(1 * 2).limit(2).get()).data.map((d) => d.phone),
        expect: ["130", "140"],
        basis: "Page 1 (from 0) of two: records 3 and 4 in insertion order.",
    },
    {
        id: "bupt/dbCollectionOrderBy",
        source: bupt("dbCollectionOrderBy"),
        ...buptUser,
        run: async (db) => (await db.collection("user").orderBy("name", "asc").orderBy("addr", "desc").get()).data.map((d) => d.phone),
        expect: ["120", "140", "130", "110"],
        basis: "Name ascending, then addr descending: Anna, Bob, Jacob/Shenzhen, Jacob/Beijing.",
    },
    {
        id: "bupt/dbCollectionRemove",
        source: bupt("dbCollectionRemove"),
        ...buptUser,
        run: async (db) => {
            const remove = await db.collection("user").where({ name: "Jacob" }).remove();
            return { remove, left: (await db.collection("user").count()).total };
        },
        expect: { remove: removed(2), left: 2 },
        basis: "where().remove() removes every match and answers stats.removed.",
    },
    {
        id: "bupt/dbCollectionUpdate",
        source: bupt("dbCollectionUpdate"),
        ...buptUser,
        run: async (db) => {
            const update = await db.collection("user").where({ name: "Jacob" }).update({ data: { phone: "999" } });
            const after = (await db.collection("user").where({ phone: "999" }).get()).data.map((d) => d.addr).sort();
            return { update, after };
        },
        expect: { update: updated(2), after: ["Beijing", "Shenzhen"] },
        basis: "where().update() updates every match and answers stats.updated.",
    },
    {
        id: "bupt/dbDocSet",
        source: bupt("dbDocSet"),
        ...buptUser,
        run: async (db, _, h) => {
            const set = await db.collection("user").doc(h.ids[0]).set({ data: { name: "Jacob", phone: "111" } });
            const read = await db.collection("user").doc(h.ids[0]).get();
            return { set, read };
        },
        expect: ({ ids }) => ({ set: { _id: ids[0], stats: { updated: 1, created: 0 }, errMsg: "document.set:ok" }, read: doc({ name: "Jacob", phone: "111" }) }),
        basis: "set replaces the record: addr is gone (guide/database/update.rst).",
    },
    {
        id: "bupt/dbDocUpdate",
        source: bupt("dbDocUpdate"),
        ...buptUser,
        run: async (db, _, h) => {
            const update = await db.collection("user").doc(h.ids[0]).update({ data: { phone: "111" } });
            const read = await db.collection("user").doc(h.ids[0]).get();
            return { update, read };
        },
        expect: { update: docUpdated(1), read: doc({ name: "Jacob", addr: "Beijing", phone: "111" }) },
        basis: "update changes the named field only.",
    },
    {
        id: "bupt/dbRegExp",
        source: bupt("dbRegExp"),
        ...buptUser,
        run: async (db) => (await db.collection("user").where({ name: new db.RegExp({ regexp: "^ja", options: "i" }) }).get()).data.map((d) => d.phone).sort(),
        expect: ["110", "130"],
        basis: "new db.RegExp({ regexp, options }) matches case-insensitively.",
    },
    {
        id: "bupt/dbCollectionDoc",
        source: bupt("dbCollectionDoc"),
        ...buptUser,
        run: async (db, _, h) => db.collection("user").doc(h.ids[1]).get(),
        expect: ({ ids }) => doc({ _id: ids[1], name: "Anna", addr: "Shanghai", phone: "120" }),
        basis: "doc(id).get() answers { data: the record }.",
    },
    {
        id: "bupt/dbCollectionGetAll",
        source: bupt("dbCollectionGetAll"),
        collection: "user",
        fields: { n: "number" },
        seed: Array.from({ length: 130 }, (_, n) => ({ n })),
        side: "server",
        run: async (db) => {
            const MAX_LIMIT = 100;
            const countResult = await db.collection("user").count();
            const batchTimes = Math.ceil(countResult.total / 100);
            const tasks = [];
            for (let i = 0; i < batchTimes; i++) tasks.push(db.collection("user").skip(i * MAX_LIMIT).limit(MAX_LIMIT).get());
            const all = (await Promise.all(tasks)).reduce((acc, cur) => ({ data: acc.data.concat(cur.data), errMsg: acc.errMsg }));
            return { n: all.data.map((d) => d.n).join(","), errMsg: all.errMsg };
        },
        expect: { n: Array.from({ length: 130 }, (_, n) => n).join(","), errMsg: "collection.get:ok" },
        basis: "Server side, pages of 100 (the guide's read-everything example, guide/database/read.rst): every record once, in order.",
    },
    {
        id: "bupt/dbCollectionAdd",
        source: bupt("dbCollectionAdd"),
        collection: "user",
        fields: { name: "text", phone: "text" },
        side: "server",
        run: async (db) => db.collection("user").add({ data: { name: "new", phone: "1" } }),
        expect: added,
        basis: "add() answers { _id, errMsg }.",
    },

    // ======================= open-source mini-programs and cloud functions ==
    {
        id: "Q7Long/mixuebingcheng/store-geoNear",
        source: gh("Q7Long/mixuebingcheng", "miniprogram/api/store.js", 7),
        collection: "store",
        fields: { name: "text", location: "json" },
        seed: [
            { name: "near", location: point(113.33, 23.1) },
            { name: "far", location: point(116.4, 39.9) },
        ],
        side: "client",
        run: async (db) => {
            const _ = db.command;
            const res = await db
                .collection("store")
                .where({ location: _.geoNear({ geometry: db.Geo.Point(113.32, 23.1), minDistance: 0, maxDistance: 10000 }) })
                .limit(10)
                .get();
            return res.data.map((d) => d.name);
        },
        expect: ["near"],
        basis: "geoNear with maxDistance 10 km: only the store ~1 km away, nearest first.",
    },
    {
        id: "xxf-liub/MyCode/getTabCloud-regexp",
        source: gh("xxf-liub/MyCode", "cloud/getTabCloud/index.js", 8),
        collection: "list",
        fields: { title: "text", time: "number" },
        seed: [
            { title: "Learn MiniProgram", time: 1 },
            { title: "miniprogram tips", time: 3 },
            { title: "other", time: 2 },
        ],
        side: "server",
        run: async (db) =>
            (await db.collection("list").limit(5).where({ title: db.RegExp({ regexp: "miniprogram", options: "i" }) }).orderBy("time", "desc").get()).data.map((d) => d.title),
        expect: ["miniprogram tips", "Learn MiniProgram"],
        basis: "Case-insensitive match, newest first.",
    },
    {
        id: "liigic/Worday/checkWord-prefix",
        source: gh("liigic/Worday", "cloudfunctions/checkWord/index.js", 11),
        collection: "t_dictionary",
        fields: { word: "text" },
        seed: [{ word: "Apple" }, { word: "application" }, { word: "pineapple" }],
        side: "server",
        run: async (db) => (await db.collection("t_dictionary").where({ word: db.RegExp({ regexp: "^" + "app", options: "i" }) }).limit(20).get()).data.map((d) => d.word).sort(),
        expect: ["Apple", "application"],
        basis: "A prefix expression, case-insensitive.",
    },
    {
        id: "0Y1L0/weixin/query-in",
        source: gh("0Y1L0/weixin", "cloud/miniprogram/pages/query/query.js", 14),
        collection: "data",
        fields: { name: "text", count: "number", des: "text" },
        seed: [
            { name: "name-1", count: 1, des: "one" },
            { name: "Name-2", count: 2, des: "two" },
            { name: "name-3", count: 3, des: "three" },
        ],
        side: "client",
        run: async (db) => {
            const _ = db.command;
            return db.collection("data").where({ count: _.in([1, 3, 4]) }).get();
        },
        expect: anyOrder([
            { name: "name-1", count: 1, des: "one" },
            { name: "name-3", count: 3, des: "three" },
        ]),
        basis: "in() matches any of the values.",
    },
    {
        id: "0Y1L0/weixin/query-field",
        source: gh("0Y1L0/weixin", "cloud/miniprogram/pages/query/query.js", 21),
        collection: "data",
        fields: { name: "text", count: "number", des: "text" },
        seed: [
            { name: "name-1", count: 1, des: "one" },
            { name: "name-3", count: 3, des: "three" },
        ],
        side: "client",
        run: async (db) => db.collection("data").field({ des: true }).get(),
        expect: anyOrder([{ des: "one" }, { des: "three" }]),
        basis: "field({ des: true }) returns _id and des only.",
    },
    {
        id: "0Y1L0/weixin/query-new-RegExp-misspelt-options",
        source: gh("0Y1L0/weixin", "cloud/miniprogram/pages/query/query.js", 29),
        collection: "data",
        fields: { name: "text", count: "number" },
        seed: [
            { name: "name-1", count: 1 },
            { name: "Name-2", count: 2 },
            { name: "name-x", count: 3 },
        ],
        side: "client",
        run: async (db) => (await db.collection("data").where({ name: new db.RegExp({ regexp: "name-[1-9]", opotions: "i" }) }).get()).data.map((d) => d.count),
        expect: [1],
        basis: "The misspelt 'opotions' is ignored, so the match is case-sensitive: 'Name-2' does not match.",
    },
    {
        id: "Miopha/tiwu-miniprogram/getRank-exists-field-path",
        source: gh("Miopha/tiwu-miniprogram", "cloudfunctions/getRank/index.js", 10),
        collection: "userInfo",
        fields: { userName: "text", avatarSrc: "text", JCTS: "number", ZQSL: "json" },
        seed: [
            { userName: "a", avatarSrc: "a.png", JCTS: 3, ZQSL: { total: 10, week: 2 } },
            { userName: "b", avatarSrc: "b.png", JCTS: 1 },
        ],
        side: "server",
        run: async (db) => {
            const _ = db.command;
            return db.collection("userInfo").where({ ZQSL: _.exists(true) }).field({ "ZQSL.total": true, JCTS: true, userName: true, avatarSrc: true }).get();
        },
        expect: list([{ userName: "a", avatarSrc: "a.png", JCTS: 3, ZQSL: { total: 10 } }]),
        basis: "exists(true) keeps the record that has ZQSL; the dot path projects ZQSL.total only.",
    },
    {
        id: "Mr-twelve/WeChat-student-management/pull-object",
        source: gh("Mr-twelve/WeChat-student-management", "cloudfunctions/huodong-quxiao/index.js", 11),
        collection: "huodong",
        fields: { title: "text", havepeople: "json" },
        seed: [
            {
                title: "t",
                havepeople: [
                    { id: "s1", name: "Li" },
                    { id: "s2", name: "Wang" },
                ],
            },
        ],
        side: "server",
        run: async (db, _, h) => {
            const update = await db.collection("huodong").doc(h.ids[0]).update({ data: { havepeople: _.pull({ id: "s1" }) } });
            return { update, havepeople: (await db.collection("huodong").doc(h.ids[0]).get()).data.havepeople };
        },
        expect: { update: docUpdated(1), havepeople: [{ id: "s2", name: "Wang" }] },
        basis: "MongoDB's $pull with an object is a condition: it removes the items whose id is 's1', whatever their other fields.",
    },
    {
        id: "BhAem/miniprogram/where-openid-pull",
        source: gh("BhAem/miniprogram", "cloudfunctions/deleteCollection/index.js", 10),
        collection: "collection",
        fields: { c_id: "json" },
        seed: [{ c_id: ["x1", "x2", "x3"] }],
        side: "server",
        run: async (db, _, h) => {
            const update = await db.collection("collection").where({ _openid: h.openid }).update({ data: { c_id: _.pull("x2") } });
            return { update, c_id: (await db.collection("collection").doc(h.ids[0]).get()).data.c_id };
        },
        expect: { update: updated(1), c_id: ["x1", "x3"] },
        basis: "pull removes the value from the user's record.",
    },
    {
        id: "mugudamowang/bukunHotel/loadMore",
        source: gh("mugudamowang/bukunHotel", "cloudfunctions/loadMore/index.js", 11),
        collection: "post",
        fields: { date: "number", title: "text" },
        seed: Array.from({ length: 25 }, (_, n) => ({ date: 100 + n, title: `p${n}` })),
        side: "server",
        run: async (db, _) => (await db.collection("post").orderBy("date", "desc").where({ date: _.lte(120) }).skip(1 * 10).limit(10).get()).data.map((d) => d.date),
        expect: [110, 109, 108, 107, 106, 105, 104, 103, 102, 101],
        basis: "Dates up to 120, newest first, the second page of ten.",
    },
    {
        id: "ddabb/FreeToKnow/collection_get_orderby",
        source: gh("ddabb/FreeToKnow", "cloudfunctionRoot/collection_get_orderby/index.js", 15),
        collection: "poems",
        fields: { name: "text", n: "number" },
        seed: Array.from({ length: 12 }, (_, n) => ({ name: n % 2 ? "李白" : "杜甫", n })),
        side: "server",
        run: async (db) => {
            const page = 2;
            const num = 3;
            return (await db.collection("poems").where({ name: "李白" }).orderBy("n", "asc").skip(num * (page - 1)).limit(num).get()).data.map((d) => d.n);
        },
        expect: [7, 9, 11],
        basis: "Li Bai's records ordered by n, the second page of three.",
    },
    {
        id: "zhenglin-charlie-li/Learning_Repo/count-array-equality",
        source: gh("zhenglin-charlie-li/Learning_Repo", "MilkTea/functions/ifExists/index.js", 8),
        collection: "collection",
        fields: { openid: "text", bodyList: "json" },
        seed: [
            { openid: "o1", bodyList: ["tea", "milk"] },
            { openid: "o1", bodyList: ["milk", "tea"] },
            { openid: "o1", bodyList: ["tea"] },
        ],
        side: "server",
        run: async (db) => (await db.collection("collection").where({ openid: "o1", bodyList: ["tea", "milk"] }).count()).total,
        expect: 1,
        basis: "An array in where() matches an equal array, in the same order (MongoDB).",
    },
    {
        id: "chengge136/VillagerCanteenYun/in-eq-update-inc",
        source: gh("chengge136/VillagerCanteenYun", "cloudfunctions/returnbatchBalance/index.js", 10),
        collection: "wx_user",
        fields: { name: "text", address: "text", balance: "number" },
        seed: [
            { name: "a", address: "x", balance: 10 },
            { name: "b", address: "x", balance: 20 },
            { name: "c", address: "x", balance: 30 },
            { name: "a", address: "y", balance: 40 },
        ],
        side: "server",
        run: async (db) => {
            const _ = db.command;
            const update = await db.collection("wx_user").where({ name: _.in(["a", "b"]), address: _.eq("x") }).update({ data: { balance: _.inc(5) } });
            const after = (await db.collection("wx_user").orderBy("balance", "asc").get()).data.map((d) => d.balance);
            return { update, after };
        },
        expect: { update: updated(2), after: [15, 25, 30, 40] },
        basis: "Two records match both conditions; each gains 5.",
    },
    {
        id: "KyaukYou/littlechai_diary2.0/where-id-inc",
        source: gh("KyaukYou/littlechai_diary2.0", "cloudfunctions/setDiaryLike/index.js", 10),
        collection: "diarys",
        fields: { like: "number" },
        seed: [{ like: 3 }],
        side: "server",
        run: async (db, _, h) => {
            const update = await db.collection("diarys").where({ _id: h.ids[0] }).update({ data: { like: _.inc(-1) } });
            return { update, like: (await db.collection("diarys").doc(h.ids[0]).get()).data.like };
        },
        expect: { update: updated(1), like: 2 },
        basis: "inc by a negative number subtracts.",
    },
    {
        id: "Zhangxingmin2016/wxFengHuangPai/where-limit-2",
        source: gh("Zhangxingmin2016/wxFengHuangPai", "cloudfunctions/video/index.js", 9),
        collection: "cloudDemo",
        fields: { name: "text", n: "number" },
        seed: [
            { name: "张三", n: 1 },
            { name: "李四", n: 2 },
            { name: "张三", n: 3 },
            { name: "张三", n: 4 },
        ],
        side: "server",
        run: async (db) => (await db.collection("cloudDemo").where({ name: "张三" }).limit(2).get()).data.map((d) => d.n),
        expect: [1, 3],
        basis: "The first two matches in insertion order.",
    },
    {
        id: "BruceJan-Git/miniprogram/push-spread-objects",
        source: gh("BruceJan-Git/miniprogram", "cloudfunctions/managerHistory/index.js", 10),
        collection: "historyOrder",
        fields: { meta: "json" },
        seed: [{ meta: [{ id: 1 }] }],
        side: "server",
        run: async (db, _, h) => {
            const arr = [{ id: 2 }, { id: 3 }];
            await db.collection("historyOrder").doc(h.ids[0]).update({ data: { meta: _.push(...arr) } });
            return (await db.collection("historyOrder").doc(h.ids[0]).get()).data.meta;
        },
        expect: [{ id: 1 }, { id: 2 }, { id: 3 }],
        basis: "push(a, b) appends each argument (as tcb-admin-node's push-several test asserts).",
    },
    {
        id: "459085/ctsizst/doc-inc",
        source: gh("459085/ctsizst", "cloudfunctions/fxal/index.js", 10),
        collection: "wlw_anli",
        fields: { fxl: "number" },
        seed: [{ fxl: 7 }],
        side: "server",
        run: async (db, _, h) => {
            const update = await db.collection("wlw_anli").doc(h.ids[0]).update({ data: { fxl: db.command.inc(1) } });
            return { update, fxl: (await db.collection("wlw_anli").doc(h.ids[0]).get()).data.fxl };
        },
        expect: { update: docUpdated(1), fxl: 8 },
        basis: "inc(1) adds one.",
    },
    {
        id: "KyaukYou/weapp-diary/push-array",
        source: gh("KyaukYou/weapp-diary", "cloudfunctions/updateUser/index.js", 9),
        collection: "todos",
        fields: { tags: "json" },
        seed: [{ tags: [] }],
        side: "server",
        run: async (db, _, h) => {
            await db.collection("todos").doc(h.ids[0]).update({ data: { tags: _.push(["mini-program", "cloud"]) } });
            return (await db.collection("todos").doc(h.ids[0]).get()).data.tags;
        },
        expect: ["mini-program", "cloud"],
        basis: "push onto an empty array.",
    },
    {
        id: "xjwnb/xkcBlog/count-openid",
        source: gh("xjwnb/xkcBlog", "cloudfunctions/BlogPersonalCount/index.js", 17),
        collection: "blogPersonal",
        fields: { title: "text" },
        seed: [{ title: "a" }, { title: "b" }, { title: "c", _owner: "bob" }],
        rules: "readAll",
        side: "server",
        run: async (db, _, h) => {
            const _openid = h.openid;
            const count = await db.collection("blogPersonal").where({ _openid }).count();
            return count.total;
        },
        expect: 2,
        basis: "Counts the user's own records only.",
    },
    {
        id: "jiapinghuang/AccountProgram/where-field",
        source: gh("jiapinghuang/AccountProgram", "cloudfunctions/GetItemType/index.js", 12),
        collection: "Item",
        fields: { openid: "text", text: "text", value: "number", extra: "text" },
        seed: [
            { openid: "o1", text: "food", value: 1, extra: "x" },
            { openid: "o2", text: "rent", value: 2, extra: "y" },
        ],
        side: "server",
        run: async (db) => db.collection("Item").where({ openid: "o1" }).field({ text: true, value: true }).get(),
        expect: list([{ text: "food", value: 1 }]),
        basis: "field() keeps text and value.",
    },
    {
        id: "dx-zou/wechat-miniprogram/and-array",
        source: gh("dx-zou/wechat-miniprogram", "weixin-cloud-miniprogram/cloudfunctions/getDocs/index.js", 16),
        collection: "docs",
        fields: { label: "text", title: "text" },
        seed: [
            { label: "js", title: "a" },
            { label: "css", title: "b" },
        ],
        side: "server",
        run: async (db, _, h) => (await db.collection("docs").where(_.and([{ label: "js" }, { _id: h.ids[0] }])).get()).data.map((d) => d.title),
        expect: ["a"],
        basis: "and() of an array of conditions: both must hold.",
    },
    {
        id: "Mean325/moustacheSplitBill/throwOnNotFound-false",
        source: gh("Mean325/moustacheSplitBill", "cloudfunctions/getVersionById/index.js", 10),
        collection: "version",
        fields: { text: "text" },
        seed: [{ text: "v1" }],
        side: "server",
        run: async (db, _, h) => {
            const quiet = h.database({ throwOnNotFound: false });
            const missing = await quiet.collection("version").doc("nonexistent0000").get();
            const found = await quiet.collection("version").doc(h.ids[0]).get();
            return { missing, found: found.data.text };
        },
        expect: { missing: { data: null, errMsg: "document.get:ok" }, found: "v1" },
        basis: "database({ throwOnNotFound: false }) makes doc.get of a missing record answer data null instead of failing (wx-server-sdk 1.7.0).",
    },

    // ======================= errors =========================================
    {
        id: "demo/crud-detail/get-missing-fail",
        source: src(DEMO, "miniprogram/packageCloud/pages/nouse/crud-detail/crud-detail.js", 63),
        collection: "todos",
        fields: { description: "text" },
        side: "client",
        run: async (db, _, h) => h.callback((cb) => db.collection("todos").doc("nonexistent0000").get({ ...cb })),
        expect: { fail: { $error: { errMsg: /^document\.get:fail/, errCode: ANY } }, complete: true },
        basis: "The page's fail callback: doc.get of a missing record fails with errMsg 'document.get:fail ...' (reference/errcode.rst: errors carry errCode and errMsg).",
    },
    {
        id: "demo/server-date/get-missing-catch",
        source: src(DEMO, "miniprogram/packageCloud/pages/database/server-date/server-date.js", 126),
        collection: "serverDate",
        fields: { time: "date" },
        side: "client",
        run: async (db) => db.collection("serverDate").doc("nonexistent0000").get(),
        expect: { $error: { errMsg: /^document\.get:fail/, errCode: ANY } },
        basis: "The page's catch: the promise rejects with errCode and errMsg 'document.get:fail ...'.",
    },
    {
        id: "docs/errcode/collection-not-exists",
        source: src(DOCS, "source/reference/errcode.rst", 45),
        collection: "todos",
        fields: { description: "text" },
        side: "docs",
        run: async (db) => db.collection("no_such_collection").get(),
        expect: { $error: { errCode: -502005, errMsg: ANY } },
        basis: "errCode -502005: 集合不存在.",
    },
    {
        id: "demo/crud/add-invalid-fail",
        source: src(DEMO, "miniprogram/packageCloud/pages/database/crud/crud.js", 108),
        collection: "todos",
        fields: { description: "text", done: "bool" },
        side: "client",
        run: async (db, _, h) => h.callback((cb) => db.collection("todos").add({ ...cb })),
        expect: { fail: { $error: { errMsg: /^collection\.add:fail/ } }, complete: true },
        basis: "add() without data fails through fail, then complete runs.",
    },
];
