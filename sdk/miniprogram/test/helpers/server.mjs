// Builds and runs the real wxbase binary for the SDK tests: mock WeChat, a
// free loopback port, its own data and pb_hooks folders, a superuser.
import { spawn, execFile } from "node:child_process";
import { createDecipheriv } from "node:crypto";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, openSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "../../../..");
const run = promisify(execFile);

export const superuserEmail = "admin@example.com";
const superuserPassword = "sdk-tests-password-1234";

function freePort() {
    return new Promise((resolve, reject) => {
        const srv = createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

/**
 * listen starts the binary on a free port and waits until it says it
 * listens and /api/health answers; exited.value is set when it ends.
 */
async function listen(bin, dataDir, hooksDir, dir, env, logFile, wechatMock) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const log = openSync(logFile, "a");
    const child = spawn(
        bin,
        ["serve", ...(wechatMock ? ["--wechat-mock"] : []), "--http", `127.0.0.1:${port}`, "--dir", dataDir, "--hooksDir", hooksDir, "--hooksWatch=false", "--dev=false"],
        { env, cwd: dir, stdio: ["ignore", log, log] },
    );
    const exited = { value: null };
    child.on("exit", (code, signal) => (exited.value = { code, signal }));

    const deadline = Date.now() + 30_000;
    for (;;) {
        const output = readFileSync(logFile, "utf8");
        if (exited.value) {
            const err = new Error(`wxbase exited (${JSON.stringify(exited.value)}):\n${output}`);
            err.addressInUse = output.includes("address already in use");
            throw err;
        }
        // The banner says this process listens: a health answer before it
        // could come from another test's server on the same port.
        if (output.includes("Server started at")) {
            try {
                const res = await fetch(url + "/api/health");
                if (res.status === 200) {
                    return { url, child, exited };
                }
            } catch {
                // not listening yet
            }
        }
        if (Date.now() > deadline) {
            child.kill("SIGKILL");
            throw new Error(`wxbase did not become healthy:\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 100));
    }
}

/**
 * buildWxbase builds wxbase from this checkout into a new temp folder:
 * { dir, bin, dataDir } (the data folder is not made).
 */
export async function buildWxbase() {
    const dir = mkdtempSync(join(tmpdir(), "wxbase-sdk-test-"));
    const bin = join(dir, "wxbase");
    await run("go", ["build", "-o", bin, "."], { cwd: repoRoot, env: { ...process.env, GOTOOLCHAIN: "local" }, maxBuffer: 1 << 24 });
    return { dir, bin, dataDir: join(dir, "pb_data") };
}

/**
 * startServer builds wxbase from this checkout and serves it. hooks maps file
 * names to pb_hooks JavaScript (our cloud functions). build, a buildWxbase()
 * result, serves that binary and its data folder instead, and stop() leaves
 * them to the caller. env is added to the server's environment; wechatMock
 * false serves without --wechat-mock (WeChat is then WECHAT_API_BASE's).
 */
export async function startServer({ hooks = {}, build, env: extraEnv = {}, wechatMock = true } = {}) {
    const { dir, bin, dataDir } = build ?? (await buildWxbase());
    const env = { ...process.env, GOTOOLCHAIN: "local", ...extraEnv };

    const hooksDir = join(dir, "pb_hooks");
    mkdirSync(hooksDir, { recursive: true });
    for (const [name, code] of Object.entries(hooks)) {
        writeFileSync(join(hooksDir, name), code);
    }
    // The binary runs from its temp folder, outside wxbase's source tree, so
    // it writes no migration of the test collections anywhere.
    await run(bin, ["superuser", "upsert", superuserEmail, superuserPassword, "--dir", dataDir], { env, cwd: dir });

    const logFile = join(dir, "server.log");
    // A server started again on the same folder starts a new log: the
    // banner of the one before must not count.
    writeFileSync(logFile, "");
    // A free port may be taken by another test's server before this one
    // binds it (the test files run at once): then start again on another.
    let url, child, exited;
    for (let attempt = 1; ; attempt++) {
        try {
            ({ url, child, exited } = await listen(bin, dataDir, hooksDir, dir, env, logFile, wechatMock));
            break;
        } catch (err) {
            if (!err.addressInUse || attempt >= 5) {
                throw err;
            }
        }
    }

    const server = {
        url,
        superToken: "",
        /** api calls the REST API as the superuser (or with the token given); resolves { status, body }. */
        async api(method, path, body, token = server.superToken) {
            const headers = {};
            if (token) {
                headers.Authorization = token;
            }
            let payload;
            if (body !== undefined) {
                headers["Content-Type"] = "application/json";
                payload = JSON.stringify(body);
            }
            const res = await fetch(url + path, { method, headers, body: payload });
            const text = await res.text();
            let json = null;
            try {
                json = JSON.parse(text);
            } catch {
                json = text;
            }
            return { status: res.status, body: json };
        },
        /** must is api() that fails the test unless the answer is a 2xx. */
        async must(method, path, body, token) {
            const res = await server.api(method, path, body, token);
            if (res.status < 200 || res.status > 299) {
                throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
            }
            return res.body;
        },
        /** createCollection creates a collection; an owner relation to users comes with ownerOnly rules. */
        async createCollection(def) {
            return server.must("POST", "/api/collections", { type: "base", ...def });
        },
        log: () => readFileSync(logFile, "utf8"),
        /**
         * openSealed opens a value the server stored sealed, as its README
         * documents the format, with the key it made in pb_data/wxbase.key:
         * "wxv2:" + key id + ":" + base64(nonce ‖ AES-256-GCM ciphertext ‖ tag),
         * collection id, record id and field id as additional data.
         */
        openSealed(stored, collectionId, recordId, fieldId) {
            const match = /^wxv2:[0-9a-f]{16}:(.+)$/.exec(stored);
            if (!match) {
                throw new Error(`not a sealed value: ${stored}`);
            }
            const keys = readFileSync(join(dataDir, "wxbase.key"), "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
            const raw = Buffer.from(match[1], "base64");
            const decipher = createDecipheriv("aes-256-gcm", Buffer.from(keys[keys.length - 1]), raw.subarray(0, 12));
            decipher.setAAD(Buffer.from(`${collectionId}\0${recordId}\0${fieldId}`));
            decipher.setAuthTag(raw.subarray(raw.length - 16));
            return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString();
        },
        async stop() {
            if (!exited.value) {
                const gone = new Promise((r) => child.once("exit", r));
                child.kill("SIGTERM");
                await gone;
            }
            if (!build) {
                rmSync(dir, { recursive: true, force: true });
            }
        },
    };

    const auth = await server.must("POST", "/api/collections/_superusers/auth-with-password", {
        identity: superuserEmail,
        password: superuserPassword,
    });
    server.superToken = auth.token;

    // The SDK tests make more requests from one address in a few seconds
    // than the default limits allow a single phone (README "Rate limits");
    // raise each limit tenfold so they test the SDK, not the limiter.
    const settings = await server.must("GET", "/api/settings");
    const rules = settings.rateLimits.rules.map((rule) => ({ ...rule, maxRequests: rule.maxRequests * 10 }));
    await server.must("PATCH", "/api/settings", { rateLimits: { ...settings.rateLimits, rules } });

    return server;
}

/** The creator-only preset (README "Data access rules"). */
export const creatorOnly = {
    listRule: "owner = @request.auth.id",
    viewRule: "owner = @request.auth.id",
    createRule: '@request.auth.id != ""',
    updateRule: "owner = @request.auth.id",
    deleteRule: "owner = @request.auth.id",
};

/** The owner field the server stamps. */
export const ownerField = { name: "owner", type: "relation", collectionId: "_pb_users_auth_", maxSelect: 1 };
