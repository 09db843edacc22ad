// The compatibility corpus: CloudBase database calls written by others (SDK
// tests, WeChat's demo and docs, open-source mini-programs; test/corpus/
// patterns.mjs), each run through the built bundle against the real server
// and classified against the result CloudBase gives. The bar: no pattern
// answers wrong or crashes; an unsupported call must say so
// (wxbase_unsupported), and a difference must be the README's.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { classify, errorOf, normalize, prepare } from "./corpus/compare.mjs";
import { patterns, shared } from "./corpus/patterns.mjs";
import { Device } from "./helpers/device.mjs";
import { creatorOnly, ownerField, startServer } from "./helpers/server.mjs";

const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../README.md"), "utf8");

// Collection rules a pattern may ask for: CloudBase's "creator only" (the
// default), and "everyone reads, the creator writes".
const ruleSets = {
    creator: creatorOnly,
    readAll: { ...creatorOnly, listRule: '@request.auth.id != ""', viewRule: '@request.auth.id != ""' },
};

const concurrency = 8;
const patternTimeout = 15_000;

let server;
let alice;
let bob;

const safe = (name) => name.replace(/[^A-Za-z0-9_]/g, "_");
const ownName = (i, name) => `c${i}_${safe(name)}`;
const sharedName = (name) => `s_${safe(name)}`;

/** collectionsOf lists a pattern's own collections: { name: { fields, seed, rules } }. */
function collectionsOf(p) {
    if (p.collections) return p.collections;
    if (p.collection && !(p.shared || []).includes(p.collection)) {
        return { [p.collection]: { fields: p.fields || {}, seed: p.seed || [], rules: p.rules } };
    }
    return {};
}

/** fieldDefs turns { name: type } into PocketBase fields, with the owner the server stamps. */
function fieldDefs(fields) {
    return [ownerField, ...Object.entries(fields).map(([name, type]) => (typeof type === "string" ? { name, type } : { name, ...type }))];
}

/** seedId: ids in the order the records are seeded, as CloudBase's generated ones sort. */
function seedId(prefix, j) {
    return `${prefix}r${String(j).padStart(4, "0")}`.padEnd(15, "0");
}

/** seedBody turns a seed row (CloudBase terms: _id, Dates) into a record body; _owner "bob" gives it to the second user. */
function seedBody(row, id) {
    const body = { id, owner: row._owner === "bob" ? bob.id : alice.id };
    for (const [k, v] of Object.entries(row)) {
        if (k === "_id" || k === "_owner") continue;
        body[k] = v instanceof Date ? v.toISOString() : v;
    }
    if (row._id) body.id = row._id;
    return body;
}

async function signIn(user) {
    const device = new Device({ user });
    const { sdk, run } = device.launch();
    const app = sdk.init({ baseURL: server.url, appid: "" });
    const { record, openid } = await app.login();
    return { app, db: app.database(), device, id: record.id, openid, run };
}

/** dbFor gives a pattern the database as its code names it: collection names map to its own (or the shared) collections. */
function dbFor(db, names) {
    return new Proxy(db, {
        get(target, key) {
            if (key === "collection") {
                return (name) => target.collection(typeof name === "string" && names[name] ? names[name] : name);
            }
            return target[key];
        },
    });
}

/**
 * callback runs a call in the callback style: invoke gets { success, fail,
 * complete } to pass in its options. It answers { success } or { fail }, and
 * whether complete ran; { noCallback: true } when neither ran once the call
 * settled.
 */
function callbackHelper(invoke) {
    return new Promise((resolve, reject) => {
        let outcome = null;
        let complete = false;
        const finish = () => setTimeout(() => resolve(outcome ? { ...outcome, complete } : { noCallback: true }), 50);
        const cb = {
            success: (res) => {
                outcome = { success: res };
            },
            fail: (err) => {
                outcome = { fail: errorOf(err) };
            },
            complete: () => {
                complete = true;
            },
        };
        let ret;
        try {
            ret = invoke(cb);
        } catch (err) {
            reject(err);
            return;
        }
        if (ret && typeof ret.then === "function") {
            ret.then(finish, (err) => (outcome ? finish() : reject(err)));
        } else {
            // CloudBase returns nothing when callbacks are given: wait for them.
            const started = Date.now();
            const poll = () => (outcome || Date.now() - started > 5000 ? finish() : setTimeout(poll, 20));
            poll();
        }
    });
}

/** results: pattern id → { kind, reason } */
const results = new Map();

async function runPattern(p, i, ctx) {
    const names = { ...ctx.names };
    const helpers = {
        ids: ctx.ids,
        idsOf: ctx.idsOf,
        openid: alice.openid,
        otherOpenid: bob.openid,
        other: dbFor(bob.db, names),
        database: (options) => dbFor(alice.app.database(options), names),
        callback: callbackHelper,
    };
    const db = dbFor(alice.db, names);
    const fn = alice.run(`(${p.run.toString()})`);
    let outcome;
    try {
        let timer;
        const timeout = new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${patternTimeout / 1000} s`)), patternTimeout);
        });
        try {
            outcome = { value: normalize(await Promise.race([Promise.resolve().then(() => fn(db, db.command, helpers)), timeout])) };
        } finally {
            clearTimeout(timer);
        }
    } catch (err) {
        outcome = { error: errorOf(err) };
    }
    const expCtx = { ids: ctx.ids, idsOf: ctx.idsOf, openid: alice.openid, otherOpenid: bob.openid };
    const expected = prepare(typeof p.expect === "function" ? p.expect(expCtx) : p.expect);
    const differs = p.differs ? prepare(typeof p.differs.expect === "function" ? p.differs.expect(expCtx) : p.differs.expect) : undefined;
    results.set(p.id, classify(p, outcome, expected, differs));
}

before(async () => {
    server = await startServer();
    alice = await signIn("corpus-alice");
    bob = await signIn("corpus-bob");
    assert.ok(alice.openid && bob.openid && alice.openid !== alice.id, "app.login() answers the user's openid");

    // Every collection at once, in one import.
    const defs = [];
    const contexts = patterns.map((p, i) => {
        const names = {};
        for (const name of p.shared || []) names[name] = sharedName(name);
        for (const name of Object.keys(collectionsOf(p))) names[name] = ownName(i, name);
        return { names, ids: [], idsOf: {} };
    });
    for (const [name, c] of Object.entries(shared)) {
        defs.push({ name: sharedName(name), type: "base", ...ruleSets[c.rules || "creator"], fields: fieldDefs(c.fields) });
    }
    patterns.forEach((p, i) => {
        for (const [name, c] of Object.entries(collectionsOf(p))) {
            defs.push({ name: ownName(i, name), type: "base", ...ruleSets[c.rules || "creator"], fields: fieldDefs(c.fields || {}) });
        }
    });
    await server.must("PUT", "/api/collections/import", { collections: defs, deleteMissing: false });

    // Seed records as the superuser, owned by the first user, 50 to a batch.
    // A collection's records are stored in the order given (the order a
    // query without orderBy() reads, as CloudBase's insertion order): one
    // batch holds a collection whole, or a large one's batches run in turn.
    const perCollection = [];
    Object.entries(shared).forEach(([name, c], k) => {
        const rows = typeof c.seed === "function" ? c.seed() : c.seed;
        perCollection.push(rows.map((row, j) => ({ method: "POST", url: `/api/collections/${sharedName(name)}/records`, body: seedBody(row, seedId(`s${k}`, j)) })));
    });
    patterns.forEach((p, i) => {
        const own = collectionsOf(p);
        Object.entries(own).forEach(([name, c], k) => {
            const rows = typeof c.seed === "function" ? c.seed() : c.seed || [];
            const ids = rows.map((row, j) => row._id || seedId(`c${i}n${k}`, j));
            contexts[i].idsOf[name] = ids;
            if (k === 0) contexts[i].ids = ids;
            perCollection.push(rows.map((row, j) => ({ method: "POST", url: `/api/collections/${ownName(i, name)}/records`, body: seedBody(row, ids[j]) })));
        });
    });
    const jobs = []; // each a list of batches sent one after another
    let packed = [];
    for (const requests of perCollection.filter((r) => r.length)) {
        if (requests.length > 50) {
            const chain = [];
            for (let i = 0; i < requests.length; i += 50) chain.push(requests.slice(i, i + 50));
            jobs.push(chain);
            continue;
        }
        if (packed.length + requests.length > 50) {
            jobs.push([packed]);
            packed = [];
        }
        packed = packed.concat(requests);
    }
    if (packed.length) jobs.push([packed]);
    let nextJob = 0;
    const seeder = async () => {
        while (nextJob < jobs.length) {
            for (const batch of jobs[nextJob++]) await server.must("POST", "/api/batch", { requests: batch });
        }
    };
    await Promise.all(Array.from({ length: 4 }, seeder));

    // The patterns, a few at a time: each has its own collections.
    let next = 0;
    const worker = async () => {
        while (next < patterns.length) {
            const i = next++;
            await runPattern(patterns[i], i, contexts[i]);
        }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
});

after(async () => {
    alice?.device.dispose();
    bob?.device.dispose();
    await server?.stop();
});

test("every pattern names its source, how its expectation was derived, and a difference the README documents", () => {
    const seen = new Set();
    for (const p of patterns) {
        assert.ok(p.id && !seen.has(p.id), `duplicate or missing id: ${p.id}`);
        seen.add(p.id);
        assert.ok(p.source && p.source.repo && p.source.path, `${p.id}: source { repo, path }`);
        assert.ok(typeof p.basis === "string" && p.basis.length > 10, `${p.id}: basis`);
        assert.ok(["client", "server", "docs"].includes(p.side), `${p.id}: side`);
        assert.equal(typeof p.run, "function", `${p.id}: run`);
        assert.match(p.run.toString(), /^(async\s*)?\(/, `${p.id}: run is an arrow function (it is evaluated in the mini-program's realm)`);
        if (p.differs) {
            assert.ok(readme.includes(p.differs.doc), `${p.id}: the README does not say "${p.differs.doc}"`);
        }
    }
});

test("CloudBase call patterns: none answers wrong or crashes", () => {
    assert.equal(results.size, patterns.length, "every pattern ran");
    const kinds = ["identical", "differs", "unsupported", "wrong", "crash"];
    const counts = Object.fromEntries(kinds.map((k) => [k, 0]));
    for (const r of results.values()) counts[r.kind]++;
    const lines = [`CloudBase corpus: ${patterns.length} patterns`, kinds.map((k) => `${k.padEnd(11)} ${String(counts[k]).padStart(4)}`).join("\n")];
    // CORPUS_VERBOSE=1 lists the identical ones too.
    const listed = ["crash", "wrong", "unsupported", "differs"].concat(process.env.CORPUS_VERBOSE ? ["identical"] : []);
    for (const kind of listed) {
        for (const p of patterns) {
            const r = results.get(p.id);
            if (r.kind === kind) lines.push(`${kind.padEnd(11)} ${p.id}${r.reason ? ": " + r.reason : ""}`);
        }
    }
    console.log(lines.join("\n"));
    assert.equal(counts.wrong + counts.crash, 0, `${counts.wrong} wrong and ${counts.crash} crash (the bar is 0 and 0); see the table above`);
});
