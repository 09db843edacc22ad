// Custom ids (README "Custom ids"): a collection whose id field takes
// CloudBase-style ids holds doc(openid).set() profiles and add()'s _id, and
// every id it refuses is refused by name, through the built bundle.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Device, plain } from "./helpers/device.mjs";
import { creatorOnly, ownerField, startServer } from "./helpers/server.mjs";

let server;
let alice; // { app, db, sdk, id, openid }

const fields = [ownerField, { name: "nickname", type: "text" }, { name: "n", type: "number" }];

/** optIn changes a collection's id field as the dashboard saves it: the whole collection back, the id field's options changed. */
async function optIn(name) {
    const collection = await server.must("GET", `/api/collections/${name}`);
    const id = collection.fields.find((f) => f.name === "id");
    Object.assign(id, { pattern: "^[A-Za-z0-9_-]+$", min: 1, max: 64 });
    return server.must("PATCH", `/api/collections/${name}`, collection);
}

/** refused checks a rejection: its code, CloudBase's errCode and errMsg, and the message. */
const refused = (api, code, errCode, pattern) => (err) => {
    assert.ok(err instanceof alice.sdk.WxbaseError, String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.errCode, errCode, err.message);
    assert.ok(err.errMsg.startsWith(`${api}:fail `), err.errMsg);
    assert.match(err.message, pattern);
    return true;
};

before(async () => {
    server = await startServer();
    await server.createCollection({ name: "profiles", ...creatorOnly, fields });
    await server.createCollection({ name: "plainids", ...creatorOnly, fields });
    const opted = await optIn("profiles");
    assert.ok(
        opted.indexes.some((i) => /UNIQUE INDEX.*\(`id` COLLATE NOCASE\)/.test(i)),
        `no unique NOCASE index on id: ${JSON.stringify(opted.indexes)}`,
    );
    const device = new Device({ user: "custom-ids-alice" });
    const { sdk } = device.launch();
    const app = sdk.init({ baseURL: server.url });
    const { record, openid } = await app.login();
    alice = { app, db: app.database(), sdk, id: record.id, openid };
});

after(async () => {
    await server?.stop();
});

describe("custom ids", () => {
    test("doc(openid).set() creates the profile, then replaces it", async () => {
        const { openid } = alice;
        assert.equal(openid.length, 28);
        assert.match(openid, /[A-Z]/);
        const profiles = alice.db.collection("profiles");
        assert.deepEqual(plain(await profiles.doc(openid).set({ data: { nickname: "A", n: 1 } })), {
            _id: openid,
            stats: { updated: 0, created: 1 },
            errMsg: "document.set:ok",
        });
        assert.deepEqual(plain(await profiles.doc(openid).set({ data: { nickname: "B" } })).stats, { updated: 1, created: 0 });
        const { data } = plain(await profiles.doc(openid).get());
        assert.equal(data._id, openid);
        assert.equal(data.nickname, "B");
        assert.equal(data.n, 0);
        assert.equal(data._openid, openid);
        assert.deepEqual(plain((await profiles.doc(openid).update({ data: { n: 2 } })).stats), { updated: 1 });
        assert.equal((await server.must("GET", `/api/collections/profiles/records/${openid}`)).owner, alice.id);
    });

    test("add() keeps the _id given: CloudBase's 32-hex ids and LeanCloud's 24-hex ones", async () => {
        const profiles = alice.db.collection("profiles");
        const cloudbase = "9f2b1c3d4e5f60718293a4b5c6d7e8f0";
        assert.deepEqual(plain(await profiles.add({ data: { _id: cloudbase, nickname: "cb" } })), { _id: cloudbase, errMsg: "collection.add:ok" });
        const leancloud = ["5f8d0d55b54764421b7156c9", "5f8d0d55b54764421b7156ca"];
        assert.deepEqual(plain(await profiles.add({ data: leancloud.map((_id) => ({ _id })) }))._ids, leancloud);
        assert.equal(plain(await profiles.doc(cloudbase).get()).data.nickname, "cb");
        // Without an _id, PocketBase's own kind of id.
        assert.match((await profiles.add({ data: { nickname: "auto" } }))._id, /^[a-z0-9]{15}$/);
    });

    test("an id differing from a stored one only in letter case is refused: ids are unique regardless of case", async () => {
        const profiles = alice.db.collection("profiles");
        await profiles.doc("CaseTwin").set({ data: { nickname: "first" } });
        await assert.rejects(
            profiles.doc("casetwin").set({ data: { nickname: "second" } }),
            refused("document.set", "wxbase_duplicate_id", -501007, /_id "casetwin" differs only in letter case .* unique regardless of case/),
        );
        await assert.rejects(
            profiles.add({ data: { _id: "CASETWIN" } }),
            refused("collection.add", "wxbase_duplicate_id", -501007, /differs only in letter case/),
        );
        await assert.rejects(
            profiles.add({ data: { _id: "CaseTwin" } }),
            refused("collection.add", "wxbase_duplicate_id", -501007, /a document with _id "CaseTwin" already exists/),
        );
        // Queries on _id are exact, as CloudBase's.
        assert.equal(plain(await profiles.where({ _id: "casetwin" }).get()).data.length, 0);
        assert.equal(plain(await profiles.where({ _id: "CaseTwin" }).get()).data.length, 1);
    });

    test("an id longer than the id field's max, or outside its pattern, is refused with the rule", async () => {
        const profiles = alice.db.collection("profiles");
        await assert.rejects(
            profiles.add({ data: { _id: "x".repeat(65) } }),
            refused("collection.add", "wxbase_invalid_id", -501007, /is 65 characters long; the ids of collection profiles are 1 to 64 characters matching \^\[A-Za-z0-9_-\]\+\$/),
        );
        await assert.rejects(
            profiles.doc("a.b").set({ data: {} }),
            refused("document.set", "wxbase_invalid_id", -501007, /_id "a\.b" does not match the ids of collection profiles/),
        );
        assert.equal(plain(await profiles.where({ nickname: "never" }).count()).total, 0);
    });

    test("a numeric _id is refused with the string to write", async () => {
        const profiles = alice.db.collection("profiles");
        await assert.rejects(
            profiles.add({ data: { _id: 123, nickname: "n" } }),
            refused("collection.add", "wxbase_unsupported", -501021, /_id 123 is a number; ids here are strings .* String\(123\), that is "123"/),
        );
        assert.throws(
            () => profiles.doc(123),
            (err) => err.code === "wxbase_unsupported" && /doc\(123\): ids are strings here .* doc\(String\(123\)\), that is doc\("123"\)/.test(err.message),
        );
        const { _id } = await profiles.add({ data: { _id: String(123), nickname: "n" } });
        assert.equal(_id, "123");
    });

    test("a collection with PocketBase's ids refuses an openid, saying how to hold custom ids", async () => {
        await assert.rejects(
            alice.db.collection("plainids").doc(alice.openid).set({ data: { nickname: "A" } }),
            refused("document.set", "wxbase_invalid_id", -501007, /is 28 characters long; the ids of collection plainids are 15 characters matching .*README "Custom ids"/),
        );
    });
});
