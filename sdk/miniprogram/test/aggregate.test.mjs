// collection.aggregate() against the real server through the built bundle:
// every stage and accumulator, on data with mixed types, missing fields and
// nulls, each result computed here independently; and access: the list
// rule before the first stage, lookups under the other collection's rule,
// secret fields refused at every depth, rules that read @request.*.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { Device, plain } from "./helpers/device.mjs";
import { creatorOnly, ownerField, startServer } from "./helpers/server.mjs";

let server;
let alice; // { app, db, _, $, id, openid, token }
let bob;

async function signIn(user) {
    const device = new Device({ user });
    const { sdk } = device.launch();
    const app = sdk.init({ baseURL: server.url });
    const { record, openid } = await app.login();
    const db = app.database();
    return { app, db, _: db.command, $: db.command.aggregate, id: record.id, openid, token: app.pb.authStore.token };
}

// Alice's sales: categories, prices, a JSON field v of every type (and
// missing, and null), tags, dates, places.
const aliceSales = [
    { cat: "fruit", price: 10, qty: 3, v: 5, tags: ["red", "sweet"], at: "2024-01-15 08:30:00.000Z", loc: { type: "Point", coordinates: [113.32, 23.13] } },
    { cat: "fruit", price: 20, qty: 1, v: "5", tags: ["green"], at: "2024-02-20 23:30:00.000Z", loc: { type: "Point", coordinates: [113.33, 23.14] } },
    { cat: "veg", price: 5, qty: 10, v: null, tags: [], at: "2024-02-01 00:00:00.000Z", loc: { type: "Point", coordinates: [114.06, 22.54] } },
    { cat: "veg", price: 7.5, qty: 2, tags: ["green", "leafy"], at: "", loc: { type: "Point", coordinates: [116.4, 39.9] } },
    { cat: "", price: 0, qty: 0, v: { k: 1 }, tags: ["x"], at: "2023-12-31 16:00:00.000Z" },
    { cat: "meat", price: 30, qty: 1, v: [1, 2], at: "2024-03-01 12:00:00.000Z" },
    { cat: "meat", price: 40, qty: 2, v: true, tags: ["red"], at: "2024-03-02 12:00:00.000Z" },
    { cat: "fruit", price: 15, qty: 4, v: 2.5, tags: ["sweet"], at: "2024-01-16 09:00:00.000Z" },
];
const bobSales = [
    { cat: "fruit", price: 1000, qty: 1, v: 1 },
    { cat: "bobs", price: 1, qty: 1, v: 1 },
];

/** The documents Alice may list, as the server gives them (missing stays missing). */
const aliceDocs = () => ids.alice.map((_id, i) => ({ _id, ...aliceSales[i] }));

const ids = { alice: [], bob: [] };

async function seed(owner, rows, key) {
    const requests = rows.map((body) => {
        const { v, ...rest } = body;
        // v left out stays missing; v: null is stored as JSON null, which reads as missing too (the
        // server documents it). PocketBase reads a string sent to a JSON field as JSON text, so a
        // string goes as its JSON.
        const value = typeof v === "string" ? JSON.stringify(v) : v;
        return { method: "POST", url: "/api/collections/sales/records", body: { owner, ...rest, ...(v === undefined ? {} : { v: value }) } };
    });
    const res = await server.must("POST", "/api/batch", { requests });
    ids[key] = res.map((r) => r.body.id);
}

const sumOf = (xs) => xs.reduce((a, b) => a + b, 0);
const groupBy = (docs, key) => {
    const out = new Map();
    for (const d of docs) {
        const k = key(d);
        out.set(k, [...(out.get(k) || []), d]);
    }
    return out;
};
const byId = (a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);

before(async () => {
    server = await startServer();
    await server.createCollection({
        name: "sales",
        ...creatorOnly,
        fields: [
            ownerField,
            { name: "cat", type: "text" },
            { name: "price", type: "number" },
            { name: "qty", type: "number" },
            { name: "v", type: "json" },
            { name: "tags", type: "json" },
            { name: "at", type: "date" },
            { name: "loc", type: "json" },
        ],
    });
    // Lines of a sale, which anyone may list; and a collection only superusers may list.
    await server.createCollection({
        name: "lines",
        listRule: "",
        fields: [{ name: "sale", type: "text" }, { name: "item", type: "text" }, { name: "n", type: "number" }],
    });
    await server.createCollection({ name: "vault", listRule: null, fields: [{ name: "sale", type: "text" }, { name: "code", type: "text" }] });
    // Rules that read the request: as on the list API, where a plain GET has no body and no query.
    await server.createCollection({ name: "byget", listRule: '@request.method = "GET"', fields: [{ name: "k", type: "text" }] });
    await server.createCollection({ name: "bybody", listRule: '@request.body.appid != "" || @request.query.k = "1"', fields: [{ name: "k", type: "text" }] });
    alice = await signIn("agg-alice");
    bob = await signIn("agg-bob");
    await seed(alice.id, aliceSales, "alice");
    await seed(bob.id, bobSales, "bob");
    const lines = [
        { sale: ids.alice[0], item: "apple", n: 2 },
        { sale: ids.alice[0], item: "pear", n: 1 },
        { sale: ids.alice[2], item: "leek", n: 5 },
        { sale: ids.bob[0], item: "gold", n: 1 },
        { sale: "", item: "orphan", n: 9 },
    ];
    await server.must("POST", "/api/batch", { requests: lines.map((body) => ({ method: "POST", url: "/api/collections/lines/records", body })) });
    await server.must("POST", "/api/collections/vault/records", { sale: ids.alice[0], code: "s3cret" });
    for (const c of ["byget", "bybody"]) {
        await server.must("POST", `/api/collections/${c}/records`, { k: "a" });
    }
});

after(async () => {
    await server?.stop();
});

const sales = (user) => user.db.collection("sales").aggregate();
const run = async (agg) => {
    const res = plain(await agg.end());
    assert.equal(res.errMsg, "collection.aggregate:ok");
    return res.list;
};

describe("stages", () => {
    test("the input is what the user may list: alice aggregates only her own sales (creator-only)", async () => {
        const [count] = await run(sales(alice).count("n"));
        assert.deepEqual(count, { n: aliceSales.length });
        const [bobs] = await run(sales(bob).count("n"));
        assert.deepEqual(bobs, { n: bobSales.length });
    });

    test("match with query operators, then project and sort on two keys", async () => {
        const { _ } = alice;
        const got = await run(sales(alice).match({ price: _.gte(7.5), cat: _.neq("meat") }).sort({ cat: 1, price: -1 }).project({ _id: 0, cat: 1, price: 1 }));
        const want = aliceSales
            .filter((s) => s.price >= 7.5 && s.cat !== "meat")
            .sort((a, b) => (a.cat < b.cat ? -1 : a.cat > b.cat ? 1 : b.price - a.price))
            .map(({ cat, price }) => ({ cat, price }));
        assert.deepEqual(got, want);
    });

    test("group with sum, avg, min, max, first, last, push, addToSet and count via sum(1)", async () => {
        const { $ } = alice;
        const got = await run(
            sales(alice)
                .sort({ price: 1 })
                .group({
                    _id: "$cat",
                    total: $.sum("$price"),
                    n: $.sum(1),
                    avg: $.avg("$qty"),
                    lo: $.min("$price"),
                    hi: $.max("$price"),
                    first: $.first("$price"),
                    last: $.last("$price"),
                    prices: $.push("$price"),
                    cats: $.addToSet("$cat"),
                    vsum: $.sum("$v"), // numbers only: "5", null, objects, arrays and true are ignored
                })
                .sort({ _id: 1 }),
        );
        const sorted = [...aliceSales].sort((a, b) => a.price - b.price);
        const want = [...groupBy(sorted, (s) => s.cat)].map(([cat, rows]) => ({
            _id: cat,
            total: sumOf(rows.map((r) => r.price)),
            n: rows.length,
            avg: sumOf(rows.map((r) => r.qty)) / rows.length,
            lo: Math.min(...rows.map((r) => r.price)),
            hi: Math.max(...rows.map((r) => r.price)),
            first: rows[0].price,
            last: rows[rows.length - 1].price,
            prices: rows.map((r) => r.price),
            cats: [cat],
            vsum: sumOf(rows.map((r) => (typeof r.v === "number" ? r.v : 0))),
        }));
        want.sort(byId);
        assert.deepEqual(got, want);
    });

    test("group on a plain column (run in SQL) and on a JSON field of mixed types give MongoDB's groups", async () => {
        const { $ } = alice;
        const plainGroups = await run(sales(alice).group({ _id: "$cat", n: $.sum(1), total: $.sum("$price"), hi: $.max("$at") }).sort({ _id: 1 }));
        const want = [...groupBy(aliceSales, (s) => s.cat)]
            .map(([cat, rows]) => {
                const dates = rows.map((r) => r.at).filter((d) => d);
                return { _id: cat, n: rows.length, total: sumOf(rows.map((r) => r.price)), hi: dates.length ? new Date(dates.sort().at(-1).replace(" ", "T")).toISOString() : null };
            })
            .sort(byId);
        assert.deepEqual(plainGroups, want);

        // v: missing and null are one group (null), "5" and 5 are two. (Sorting on these keys is
        // refused: one is an object, whose field order JSON does not keep.)
        const mixed = await run(sales(alice).group({ _id: "$v", n: $.sum(1) }));
        const canonical = (list) => list.map((x) => JSON.stringify(x)).sort();
        assert.deepEqual(canonical(mixed), canonical([
            { _id: null, n: 2 },
            { _id: 2.5, n: 1 },
            { _id: 5, n: 1 },
            { _id: "5", n: 1 },
            { _id: { k: 1 }, n: 1 },
            { _id: [1, 2], n: 1 },
            { _id: true, n: 1 },
        ]));
        await assert.rejects(sales(alice).group({ _id: "$v", n: $.sum(1) }).sort({ _id: 1 }).end(), (err) => err.code === "wxbase_unsupported" && /object/.test(err.message));
        // One group over everything, and none over nothing.
        assert.deepEqual(await run(sales(alice).group({ _id: null, n: $.sum(1), total: $.sum("$qty") })), [
            { _id: null, n: aliceSales.length, total: sumOf(aliceSales.map((s) => s.qty)) },
        ]);
        assert.deepEqual(await run(sales(alice).match({ cat: "none" }).group({ _id: null, n: $.sum(1) })), []);
    });

    test("skip, limit, and 20 documents when no limit is given, as CloudBase", async () => {
        const got = await run(sales(alice).sort({ price: 1 }).skip(2).limit(3).project({ _id: 0, price: 1 }));
        assert.deepEqual(got, [...aliceSales].sort((a, b) => a.price - b.price).slice(2, 5).map(({ price }) => ({ price })));
        const many = [];
        for (let i = 0; i < 25; i++) {
            many.push({ method: "POST", url: "/api/collections/lines/records", body: { sale: "bulk", item: `b${i}`, n: i } });
        }
        await server.must("POST", "/api/batch", { requests: many });
        const lines = alice.db.collection("lines");
        assert.equal((await run(lines.aggregate().match({ sale: "bulk" }))).length, 20);
        assert.equal((await run(lines.aggregate().match({ sale: "bulk" }).limit(25))).length, 25);
    });

    test("unwind: arrays, includeArrayIndex, preserveNullAndEmptyArrays", async () => {
        const docs = aliceDocs();
        const got = await run(sales(alice).unwind("$tags").sortByCount("$tags"));
        const counts = new Map();
        for (const d of docs) {
            for (const t of d.tags || []) counts.set(t, (counts.get(t) || 0) + 1);
        }
        const want = [...counts].map(([t, n]) => ({ _id: t, count: n }));
        assert.deepEqual(
            got.sort((a, b) => b.count - a.count || (a._id < b._id ? -1 : 1)),
            want.sort((a, b) => b.count - a.count || (a._id < b._id ? -1 : 1)),
        );

        const kept = await run(
            sales(alice).unwind({ path: "$tags", includeArrayIndex: "i", preserveNullAndEmptyArrays: true }).project({ _id: 1, tags: 1, i: 1 }).limit(100),
        );
        const wantKept = [];
        for (const d of docs) {
            if (Array.isArray(d.tags) && d.tags.length) {
                d.tags.forEach((t, i) => wantKept.push({ _id: d._id, tags: t, i }));
            } else {
                wantKept.push({ _id: d._id, i: null }); // an empty array or no tags: kept, without the field
            }
        }
        const key = (x) => `${x._id}/${x.i}`;
        assert.deepEqual(kept.sort((a, b) => (key(a) < key(b) ? -1 : 1)), wantKept.sort((a, b) => (key(a) < key(b) ? -1 : 1)));
    });

    test("addFields, replaceRoot and expressions: arithmetic, comparison, cond, strings, arrays, dates with a timezone", async () => {
        const { $ } = alice;
        const got = await run(
            sales(alice)
                .match({ at: alice._.neq(null) })
                .addFields({
                    amount: $.multiply(["$price", "$qty"]),
                    net: $.subtract([$.add(["$price", 1]), $.divide(["$price", 2])]),
                    odd: $.mod(["$qty", 2]),
                    dear: $.gte(["$price", 20]),
                    label: $.cond({ if: $.gt(["$price", 12]), then: "high", else: "low" }),
                    kind: $.switch({ branches: [{ case: $.eq(["$cat", "fruit"]), then: "F" }], default: "other" }),
                    name: $.concat([$.toUpper("$cat"), "-", $.substr(["$cat", 0, 2])]),
                    lower: $.toLower("$cat"),
                    len: $.strLenCP("$cat"),
                    ntags: $.size($.ifNull(["$tags", []])),
                    firstTag: $.arrayElemAt([$.ifNull(["$tags", []]), 0]),
                    red: $.in(["red", $.ifNull(["$tags", []])]),
                    longTags: $.filter({ input: $.ifNull(["$tags", []]), as: "t", cond: $.gt([$.strLenCP("$$t"), 3]) }),
                    twoTags: $.slice([$.ifNull(["$tags", []]), 2]),
                    year: $.year("$at"),
                    month: $.month("$at"),
                    day: $.dayOfMonth({ date: "$at", timezone: "Asia/Shanghai" }),
                    hour: $.hour({ date: "$at", timezone: "Asia/Shanghai" }),
                    ymd: $.dateToString({ date: "$at", format: "%Y-%m-%d %H:%M", timezone: "Asia/Shanghai" }),
                    both: $.and([$.gt(["$qty", 1]), $.not([$.eq(["$cat", "veg"])])]),
                    either: $.or([$.eq(["$cat", "meat"]), $.lt(["$price", 6])]),
                })
                .replaceRoot({ newRoot: { id: "$_id", amount: "$amount", net: "$net", odd: "$odd", dear: "$dear", label: "$label", kind: "$kind", name: "$name", lower: "$lower", len: "$len", ntags: "$ntags", firstTag: "$firstTag", red: "$red", longTags: "$longTags", twoTags: "$twoTags", year: "$year", month: "$month", day: "$day", hour: "$hour", ymd: "$ymd", both: "$both", either: "$either" } })
                .limit(100),
        );
        const pad = (n) => String(n).padStart(2, "0");
        const want = aliceDocs()
            .filter((d) => d.at)
            .map((d) => {
                const at = new Date(d.at.replace(" ", "T"));
                const local = new Date(at.getTime() + 8 * 3600 * 1000); // Asia/Shanghai: UTC+8, no daylight saving
                const tags = d.tags || [];
                const out = {
                    id: d._id,
                    amount: d.price * d.qty,
                    net: d.price + 1 - d.price / 2,
                    odd: d.qty % 2,
                    dear: d.price >= 20,
                    label: d.price > 12 ? "high" : "low",
                    kind: d.cat === "fruit" ? "F" : "other",
                    name: d.cat.toUpperCase() + "-" + d.cat.slice(0, 2),
                    lower: d.cat.toLowerCase(),
                    len: [...d.cat].length,
                    ntags: tags.length,
                    red: tags.includes("red"),
                    longTags: tags.filter((t) => [...t].length > 3),
                    twoTags: tags.slice(0, 2),
                    year: at.getUTCFullYear(),
                    month: at.getUTCMonth() + 1,
                    day: local.getUTCDate(),
                    hour: local.getUTCHours(),
                    ymd: `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`,
                    both: d.qty > 1 && d.cat !== "veg",
                    either: d.cat === "meat" || d.price < 6,
                };
                if (tags.length) {
                    out.firstTag = tags[0]; // $arrayElemAt past the end is missing
                }
                return out;
            });
        assert.deepEqual(got.sort((a, b) => (a.id < b.id ? -1 : 1)), want.sort((a, b) => (a.id < b.id ? -1 : 1)));
    });

    test("sample draws from the input without repeating, its size capped by the input", async () => {
        const got = await run(sales(alice).sample({ size: 3 }).project({ _id: 1 }));
        assert.equal(got.length, 3);
        assert.equal(new Set(got.map((d) => d._id)).size, 3);
        for (const d of got) assert.ok(ids.alice.includes(d._id));
        assert.equal((await run(sales(alice).sample({ size: 100 }).limit(100))).length, aliceSales.length);
    });

    test("lookup, both forms: the localField/foreignField equality and let with a pipeline", async () => {
        const { $, _ } = alice;
        const eq = await run(sales(alice).lookup({ from: "lines", localField: "_id", foreignField: "sale", as: "lines" }).project({ items: "$lines.item" }).limit(100));
        const want = aliceDocs().map((d) => ({ _id: d._id, items: d._id === ids.alice[0] ? ["apple", "pear"] : d._id === ids.alice[2] ? ["leek"] : [] }));
        assert.deepEqual(eq.sort(byId), want.sort(byId));

        const piped = await run(
            sales(alice)
                .lookup({
                    from: "lines",
                    let: { id: "$_id", qty: "$qty" },
                    pipeline: $.pipeline()
                        .match(_.expr($.and([$.eq(["$sale", "$$id"]), $.lte(["$n", "$$qty"])])))
                        .project({ _id: 0, item: 1 })
                        .done(),
                    as: "small",
                })
                .match({ "small.0": _.exists(true) })
                .project({ small: 1 }),
        );
        // Sale 0 has qty 3: both lines (n 2 and 1); sale 2 has qty 10: leek (5).
        assert.deepEqual(piped.sort(byId), [
            { _id: ids.alice[0], small: [{ item: "apple" }, { item: "pear" }] },
            { _id: ids.alice[2], small: [{ item: "leek" }] },
        ].sort(byId));
    });

    test("geoNear: nearest first, distanceField in meters, maxDistance and query", async () => {
        const { db } = alice;
        const here = [113.32, 23.13];
        const got = await run(
            sales(alice)
                .geoNear({ near: db.Geo.Point(here[0], here[1]), distanceField: "d", spherical: true, maxDistance: 200000, query: { cat: "fruit" } })
                .project({ _id: 1, d: 1 }),
        );
        // Haversine on MongoDB's sphere (radius 6378.1 km).
        const rad = (x) => (x * Math.PI) / 180;
        const dist = ([lon1, lat1], [lon2, lat2]) => {
            const h = Math.sin(rad(lat2 - lat1) / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
            return 2 * 6378100 * Math.asin(Math.sqrt(h));
        };
        const want = aliceDocs()
            .filter((d) => d.cat === "fruit" && d.loc)
            .map((d) => ({ _id: d._id, d: dist(here, d.loc.coordinates) }))
            .filter((d) => d.d <= 200000)
            .sort((a, b) => a.d - b.d);
        assert.deepEqual(got.map((g) => g._id), want.map((w) => w._id));
        got.forEach((g, i) => assert.ok(Math.abs(g.d - want[i].d) < 1e-6 * Math.max(1, want[i].d), `${g.d} vs ${want[i].d}`));
        await assert.rejects(sales(alice).limit(1).geoNear({ near: db.Geo.Point(0, 0), distanceField: "d" }).end(), (err) => err.code === "wxbase_invalid_query" && /first stage/.test(err.message));
    });

    test("what is outside the supported set is a wxbase_unsupported error naming it", async () => {
        const { $ } = alice;
        await assert.rejects(sales(alice).bucket({ groupBy: "$price", boundaries: [0, 10] }).end(), (err) => err.code === "wxbase_unsupported" && /\$bucket/.test(err.message));
        await assert.rejects(sales(alice).project({ x: $.sqrt("$price") }).end(), (err) => err.code === "wxbase_unsupported" && /\$sqrt/.test(err.message));
        await assert.rejects(sales(alice).group({ _id: null, s: $.stdDevPop("$price") }).end(), (err) => err.code === "wxbase_unsupported" && /\$stdDevPop/.test(err.message));
    });
});

describe("access", () => {
    test("a lookup into a collection the user cannot list finds nothing; a superuser's finds it", async () => {
        const got = await run(sales(alice).match({ _id: ids.alice[0] }).lookup({ from: "vault", localField: "_id", foreignField: "sale", as: "v" }));
        assert.deepEqual(got[0].v, []);
        const asSuperuser = await server.must("POST", "/api/database/sales/aggregate", {
            pipeline: [{ $match: { _id: ids.alice[0] } }, { $lookup: { from: "vault", localField: "_id", foreignField: "sale", as: "v" } }, { $project: { codes: "$v.code" } }],
        });
        assert.deepEqual(asSuperuser.list, [{ _id: ids.alice[0], codes: ["s3cret"] }]);
        // Bob's sale is not alice's to list: a lookup from lines to sales finds only hers.
        const lines = await run(alice.db.collection("lines").aggregate().match({ sale: ids.bob[0] }).lookup({ from: "sales", localField: "sale", foreignField: "_id", as: "s" }));
        assert.deepEqual(lines.map((l) => l.s), [[]]);
    });

    test("guests and users differ as on the list API: a guest aggregates no creator-only record", async () => {
        const guest = await server.api("POST", "/api/database/sales/aggregate", { pipeline: [{ $count: "n" }] }, "");
        assert.equal(guest.status, 200);
        assert.deepEqual(guest.body.list, []);
        const vault = await server.api("POST", "/api/database/vault/aggregate", { pipeline: [{ $count: "n" }] }, alice.token);
        assert.equal(vault.status, 403);
    });

    test("rules reading @request.* see a plain GET list request, whatever this POST sends", async () => {
        const count = async (collection, query = "") => {
            const res = await server.api("POST", `/api/database/${collection}/aggregate${query}`, { appid: "", pipeline: [{ $count: "n" }] }, alice.token);
            assert.equal(res.status, 200, JSON.stringify(res.body));
            return res.body.list;
        };
        // @request.method = "GET": the list API lets it through, and so does this POST.
        assert.deepEqual(await count("byget"), [{ n: 1 }]);
        assert.deepEqual((await server.api("GET", "/api/collections/byget/records", undefined, alice.token)).body.totalItems, 1);
        // @request.body.appid and @request.query.k are empty on a plain GET: the SDK's body (with its appid) and a
        // query string on this route steer nothing.
        assert.deepEqual(await count("bybody"), []);
        assert.deepEqual(await count("bybody", "?k=1"), []);
        assert.deepEqual(plain((await alice.db.collection("bybody").aggregate().count("n").end()).list), []);
        assert.deepEqual((await server.api("GET", "/api/collections/bybody/records", undefined, alice.token)).body.totalItems, 0);
    });

    test("secret and private fields cannot be read, grouped, matched, sorted or looked up, at any depth", async () => {
        const { $, _ } = alice;
        const forbidden = (err) => err.code === "wxbase_forbidden_field";
        const users = () => alice.db.collection("users").aggregate();
        // Another user's phone number, in every stage.
        await assert.rejects(users().group({ _id: "$phone", n: $.sum(1) }).end(), forbidden);
        await assert.rejects(users().match({ phone: _.exists(true) }).end(), forbidden);
        await assert.rejects(users().sort({ phone: 1 }).end(), forbidden);
        await assert.rejects(users().project({ p: $.substr(["$phone", 0, 4]) }).end(), forbidden);
        // Through a lookup: its pipeline, its foreignField, and the field it fills.
        await assert.rejects(
            sales(alice).lookup({ from: "users", let: { o: "$owner" }, pipeline: $.pipeline().match(_.expr($.eq(["$_id", "$$o"]))).project({ phone: 1 }).done(), as: "u" }).end(),
            forbidden,
        );
        await assert.rejects(sales(alice).lookup({ from: "users", localField: "owner", foreignField: "phone", as: "u" }).end(), forbidden);
        await assert.rejects(sales(alice).lookup({ from: "users", localField: "owner", foreignField: "_id", as: "u" }).project({ p: "$u.phone" }).end(), forbidden);
        // Sealed fields, superusers included: an AppSecret and a session key.
        for (const [collection, field] of [["wechat_apps", "secret"], ["wechat_accounts", "session_key"]]) {
            const res = await server.api("POST", `/api/database/${collection}/aggregate`, { pipeline: [{ $group: { _id: `$${field}`, n: { $sum: 1 } } }] });
            assert.equal(res.status, 400, `${collection}.${field}: ${JSON.stringify(res.body)}`);
            assert.equal(res.body.data.code, "wxbase_forbidden_field");
            const deep = await server.api("POST", "/api/database/users/aggregate", {
                pipeline: [{ $lookup: { from: collection, pipeline: [{ $sort: { [field]: 1 } }], as: "x" } }],
            });
            assert.equal(deep.body.data?.code, "wxbase_forbidden_field", JSON.stringify(deep.body));
        }
        // And a document never holds them: a superuser's whole accounts hold no session key.
        const accounts = await server.must("POST", "/api/database/wechat_accounts/aggregate", { pipeline: [{ $limit: 10 }] });
        assert.ok(accounts.list.length > 0);
        for (const a of accounts.list) assert.equal("session_key" in a, false);
    });
});

describe("caps", () => {
    test("pipeline length, lookup depth and limit answer 400 with data.code", async () => {
        const tooLong = await server.api("POST", "/api/database/sales/aggregate", { pipeline: Array.from({ length: 33 }, () => ({ $skip: 0 })) });
        assert.deepEqual([tooLong.status, tooLong.body.data.code], [400, "wxbase_pipeline_too_long"]);
        const inner = { $lookup: { from: "lines", pipeline: [{ $lookup: { from: "lines", pipeline: [{ $lookup: { from: "lines", pipeline: [], as: "c" } }], as: "b" } }], as: "a" } };
        const deep = await server.api("POST", "/api/database/sales/aggregate", { pipeline: [inner] });
        assert.deepEqual([deep.status, deep.body.data.code], [400, "wxbase_lookup_too_deep"]);
        const big = await server.api("POST", "/api/database/sales/aggregate", { pipeline: [{ $limit: 10001 }] });
        assert.deepEqual([big.status, big.body.data.code], [400, "wxbase_limit_too_large"]);
    });
});

describe("pb_hooks", () => {
    test("an onRecordsListRequest hook applies to get(), count() and aggregate() as to the list API", async () => {
        const hooked = await startServer({
            hooks: {
                "members.pb.js": `
onRecordsListRequest((e) => {
    if (!e.auth) {
        throw new ForbiddenError("Members only.");
    }
    e.records.forEach((r) => r.hide("price"));
    e.next();
}, "goods")
`,
            },
        });
        try {
            await hooked.createCollection({ name: "goods", listRule: "", fields: [{ name: "cat", type: "text" }, { name: "price", type: "number" }] });
            for (const body of [{ cat: "a", price: 5 }, { cat: "a", price: 7 }]) {
                await hooked.must("POST", "/api/collections/goods/records", body);
            }
            // A guest is refused everywhere, as on the list API.
            for (const [op, body] of [["get", { query: {} }], ["count", { query: {} }], ["aggregate", { pipeline: [{ $group: { _id: "$cat", n: { $sum: 1 } } }] }]]) {
                const res = await hooked.api("POST", `/api/database/goods/${op}`, body, "");
                assert.equal(res.status, 403, `${op}: ${JSON.stringify(res.body)}`);
            }
            assert.equal((await hooked.api("GET", "/api/collections/goods/records", undefined, "")).status, 403);
            // A user sees no price, in documents nor in a group over them; the count stands.
            const device = new Device({ user: "hook-member" });
            const app = device.launch().sdk.init({ baseURL: hooked.url });
            await app.login();
            const token = app.pb.authStore.token;
            const got = await hooked.api("POST", "/api/database/goods/get", { query: {} }, token);
            assert.equal(got.status, 200, JSON.stringify(got.body));
            assert.deepEqual(got.body.data.map((d) => "price" in d), [false, false]);
            assert.deepEqual((await hooked.api("POST", "/api/database/goods/count", { query: {} }, token)).body, { total: 2 });
            const grouped = await hooked.api("POST", "/api/database/goods/aggregate", { pipeline: [{ $group: { _id: "$cat", n: { $sum: 1 }, total: { $sum: "$price" } } }] }, token);
            assert.deepEqual(grouped.body.list, [{ _id: "a", n: 2, total: 0 }]);
            const listed = await hooked.api("GET", "/api/collections/goods/records", undefined, token);
            assert.deepEqual(listed.body.items.map((r) => "price" in r), [false, false]);
        } finally {
            await hooked.stop();
        }
    });

    test("the README's leaderboard route answers the top ten", async () => {
        const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
        const script = /```js\n\/\/ pb_hooks\/leaderboard\.pb\.js\n([\s\S]*?)```/.exec(readme);
        assert.ok(script, "README.md has no pb_hooks/leaderboard.pb.js example");
        const hooked = await startServer({ hooks: { "leaderboard.pb.js": script[1] } });
        try {
            await hooked.createCollection({ name: "scores", listRule: "", fields: [{ name: "player", type: "text" }, { name: "score", type: "number" }] });
            const rows = [];
            for (let i = 0; i < 60; i++) {
                rows.push({ player: `p${i % 13}`, score: (i * 37) % 101 });
            }
            await hooked.must("POST", "/api/batch", { requests: rows.slice(0, 50).map((body) => ({ method: "POST", url: "/api/collections/scores/records", body })) });
            await hooked.must("POST", "/api/batch", { requests: rows.slice(50).map((body) => ({ method: "POST", url: "/api/collections/scores/records", body })) });
            const totals = new Map();
            for (const r of rows) totals.set(r.player, (totals.get(r.player) || 0) + r.score);
            const want = [...totals].map(([_id, total]) => ({ _id, total })).sort((a, b) => b.total - a.total).slice(0, 10);
            const res = await hooked.api("GET", "/api/leaderboard", undefined, "");
            assert.equal(res.status, 200, JSON.stringify(res.body));
            assert.deepEqual(res.body.map((r) => r.total), want.map((w) => w.total));
            assert.deepEqual(new Set(res.body.map((r) => r._id)), new Set(want.map((w) => w._id)));
        } finally {
            await hooked.stop();
        }
    });

    test("$database.aggregate runs a pipeline as the request's caller, or without one as a superuser", async () => {
        const hooked = await startServer({
            hooks: {
                "board.pb.js": `
routerAdd("GET", "/api/board", (e) => {
    // As the caller: the list rule decides; $sort keeps its key order.
    const mine = $database.aggregate("notes", [
        { $group: { _id: "$cat", n: { $sum: 1 } } },
        { $sort: { n: -1, _id: 1 } },
    ], e);
    // As a superuser: every record.
    const all = $database.aggregate("notes", [{ $count: "n" }]);
    let refused = "";
    try {
        $database.aggregate("wechat_apps", [{ $group: { _id: "$secret" } }]);
    } catch (err) {
        refused = String(err);
    }
    return e.json(200, { mine, all, refused });
});
`,
            },
        });
        try {
            await hooked.createCollection({ name: "notes", ...creatorOnly, fields: [ownerField, { name: "cat", type: "text" }] });
            const device = new Device({ user: "hook-alice" });
            const app = device.launch().sdk.init({ baseURL: hooked.url });
            const { record } = await app.login();
            const rows = [["a", record.id], ["b", record.id], ["b", record.id], ["c", ""]];
            for (const [cat, owner] of rows) {
                await hooked.must("POST", "/api/collections/notes/records", { cat, owner });
            }
            const res = await hooked.api("GET", "/api/board", undefined, app.pb.authStore.token);
            assert.equal(res.status, 200, JSON.stringify(res.body));
            assert.deepEqual(res.body.mine, [{ _id: "b", n: 2 }, { _id: "a", n: 1 }]);
            assert.deepEqual(res.body.all, [{ n: 4 }]);
            assert.match(res.body.refused, /AppSecret/);
            // A guest sees what the list API shows a guest: the record with no owner
            // (owner = @request.auth.id holds for "" = "").
            const guest = await hooked.api("GET", "/api/board", undefined, "");
            assert.deepEqual(guest.body.mine, [{ _id: "c", n: 1 }]);
            const listed = await hooked.api("GET", "/api/collections/notes/records", undefined, "");
            assert.deepEqual(listed.body.items.map((r) => r.cat), ["c"]);
        } finally {
            await hooked.stop();
        }
    });

    test("a field a pb_hooks enrich hook hides is not in any document: a group over it sums nothing", async () => {
        const hooked = await startServer({
            hooks: { "hide.pb.js": 'onRecordEnrich((e) => { e.record.hide("price"); e.next() }, "goods")\n' },
        });
        try {
            await hooked.createCollection({ name: "goods", listRule: "", fields: [{ name: "cat", type: "text" }, { name: "price", type: "number" }] });
            for (const body of [{ cat: "a", price: 5 }, { cat: "a", price: 7 }]) {
                await hooked.must("POST", "/api/collections/goods/records", body);
            }
            const res = await hooked.api("POST", "/api/database/goods/aggregate", { pipeline: [{ $group: { _id: "$cat", total: { $sum: "$price" }, hi: { $max: "$price" } } }] }, "");
            assert.equal(res.status, 200, JSON.stringify(res.body));
            assert.deepEqual(res.body.list, [{ _id: "a", total: 0, hi: null }]);
            // The list API shows no price either.
            const listed = await hooked.api("GET", "/api/collections/goods/records", undefined, "");
            assert.equal("price" in listed.body.items[0], false);
        } finally {
            await hooked.stop();
        }
    });
});
