// The example mini-program (examples/miniprogram) run against the real
// server, so it cannot rot: its App and Page code is loaded as WeChat would
// load it, beside the built bundle, in the emulated phone.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { Device, plain } from "./helpers/device.mjs";
import { startServer } from "./helpers/server.mjs";

const exampleDir = join(dirname(fileURLToPath(import.meta.url)), "../../../examples/miniprogram");
const pngBytes = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

let server;
let files;

before(async () => {
    server = await startServer();
    files = mkdtempSync(join(tmpdir(), "wxbase-example-"));
});

after(async () => {
    await server?.stop();
    if (files) rmSync(files, { recursive: true, force: true });
});

/**
 * launchExample starts the example on the device: app.js runs (App() and
 * onLaunch), then pages/index/index.js is instantiated like WeChat's Page().
 * require() knows the npm package and the example's config only.
 */
function launchExample(device) {
    const { sdk, run } = device.launch();
    let appInstance;
    let pageDef;
    const modules = {
        "wxbase-miniprogram": sdk,
        "./config": { baseURL: server.url }, // a real wx.login, not mock codes
    };
    const load = (file) => {
        const source = readFileSync(join(exampleDir, file), "utf8");
        const wrapper = run(`(function (module, exports, require, App, Page, getApp) {${source}\n})`);
        const module = { exports: {} };
        wrapper(
            module,
            module.exports,
            (name) => {
                if (!(name in modules)) throw new Error(`the example required ${name}`);
                return modules[name];
            },
            (def) => (appInstance = def),
            (def) => (pageDef = def),
            () => appInstance,
        );
    };
    load("app.js");
    appInstance.onLaunch();
    load("pages/index/index.js");

    const page = Object.assign({}, pageDef, {
        data: JSON.parse(JSON.stringify(pageDef.data)),
        setData(patch) {
            Object.assign(this.data, patch);
        },
    });
    return { page, app: appInstance };
}

test("the example signs in, creates the profile, keeps it across launches and survives an expired session", async () => {
    const device = new Device({ user: "example-" + Date.now() });

    // First launch: a new user is asked for a profile.
    let { page } = launchExample(device);
    await page.onLoad();
    assert.equal(page.data.error, "");
    assert.equal(page.data.loading, false);
    assert.equal(page.data.isNew, true);
    assert.equal(page.data.nickname, "");

    // Nickname and avatar the current WeChat way, then save.
    const avatar = join(files, "avatar.png");
    writeFileSync(avatar, pngBytes);
    page.onChooseAvatar({ detail: { avatarUrl: avatar } });
    page.onNicknameInput({ detail: { value: "小明" } });
    await page.save();
    assert.equal(page.data.error, "");
    assert.equal(page.data.saved, true);
    assert.equal(page.data.nickname, "小明");
    assert.match(page.data.avatarURL, new RegExp("^" + server.url + "/api/files/_pb_users_auth_/\\w+/avatar\\w*\\.png$"));

    const users = await server.must("GET", "/api/collections/users/records?filter=" + encodeURIComponent("name = '小明'"));
    assert.equal(users.items.length, 1, "the server holds the profile");
    const user = users.items[0];
    assert.match(user.avatar, /^avatar\w*\.png$/);
    const image = await fetch(page.data.avatarURL);
    assert.equal(image.status, 200);
    assert.deepEqual(Buffer.from(await image.arrayBuffer()), pngBytes);

    // A later launch restores the session from storage: no network login.
    const loginsBefore = device.requestsTo("/auth-with-wechat").length;
    ({ page } = launchExample(device));
    await page.onLoad();
    assert.equal(page.data.isNew, false);
    assert.equal(page.data.nickname, "小明");
    assert.equal(device.requestsTo("/auth-with-wechat").length, loginsBefore, "a valid stored session needs no login");

    // The session expires on the server meanwhile: the page logs in again by
    // itself, and the update still lands.
    await server.must("PATCH", `/api/collections/users/records/${user.id}`, { tokenKey: "expired-" + Date.now() + "-0123456789abcdef" });
    page.onNicknameInput({ detail: { value: "小明2" } });
    await page.save();
    assert.equal(page.data.error, "");
    assert.equal(page.data.nickname, "小明2");
    assert.equal(device.requestsTo("/auth-with-wechat").length, loginsBefore + 1, "one re-login");
    const updated = await server.must("GET", `/api/collections/users/records/${user.id}`);
    assert.equal(plain(updated).name, "小明2");

    // And the example never sees a secret.
    for (const request of device.requests) {
        assert.doesNotMatch(request.body || "", /session_key|secret/);
    }
});

test("the example keeps a chosen avatar and nickname when the picker's close fires onShow", async () => {
    const device = new Device({ user: "picker-" + Date.now() });
    const { page } = launchExample(device);
    await page.onLoad();
    assert.equal(page.data.error, "");

    // A returning user with a stored profile.
    page.onNicknameInput({ detail: { value: "stored" } });
    await page.save();
    assert.equal(page.data.nickname, "stored");

    // chooseAvatar opens WeChat's picker, which hides the page; choosing an
    // avatar shows it again, and onShow fires after bindchooseavatar.
    const avatar = join(files, "picked.png");
    writeFileSync(avatar, pngBytes);
    page.onNicknameInput({ detail: { value: "typed" } });
    page.onChooseAvatar({ detail: { avatarUrl: avatar } });
    await page.onShow();
    assert.equal(page.data.error, "");
    assert.equal(page.data.avatarPath, avatar, "the chosen avatar survives onShow");
    assert.equal(page.data.avatarURL, avatar);
    assert.equal(page.data.nickname, "typed", "the typed nickname survives onShow");

    // Saved, the next onShow shows the stored profile again.
    await page.save();
    await page.onShow();
    assert.equal(page.data.nickname, "typed");
    assert.match(page.data.avatarURL, /^http/);
    assert.equal(page.data.avatarPath, "");
});

test("the example shows why it cannot sign in", async () => {
    const device = new Device({ user: "blocked-" + Date.now() });
    device.loginFailure = "login:fail network";
    const { page } = launchExample(device);
    await page.onLoad();
    assert.equal(page.data.loading, false);
    assert.notEqual(page.data.error, "");
});
