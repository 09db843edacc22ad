// npm run check:pack — what WeChat DevTools' "构建 npm" makes of this
// package, with miniprogram-ci's npm packer (the same code, headless): the
// published tarball, installed into a throwaway mini-program project and
// packed, must give miniprogram_npm/wxbase-miniprogram/ holding our bundle
// unchanged and nothing else, and that file must load in the mini-program
// sandbox of the tests.
//
// miniprogram-ci is ~275 MB of dependencies, so it is not a devDependency:
// it is installed on first use into a cache folder in the temp directory.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Device } from "../test/helpers/device.mjs";

const ciVersion = "2.1.42";
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const quiet = ["--no-audit", "--no-fund", "--loglevel=error"];

function fail(message) {
    console.error(`check:pack: ${message}`);
    process.exit(1);
}

const cache = join(tmpdir(), `wxbase-miniprogram-ci-${ciVersion}`);
if (!existsSync(join(cache, "node_modules/miniprogram-ci/package.json"))) {
    console.log(`Installing miniprogram-ci ${ciVersion} into ${cache} ...`);
    mkdirSync(cache, { recursive: true });
    writeFileSync(join(cache, "package.json"), JSON.stringify({ private: true }));
    execFileSync(npm, ["install", ...quiet, `miniprogram-ci@${ciVersion}`], { cwd: cache, stdio: "inherit" });
}
const ci = createRequire(join(cache, "package.json"))("miniprogram-ci");

const work = mkdtempSync(join(tmpdir(), "wxbase-pack-"));
try {
    // What npm would publish, installed the way a mini-program project installs it.
    const tarball = execFileSync(npm, ["pack", "--pack-destination", work, "--loglevel=error"], { cwd: root, encoding: "utf8" }).trim().split("\n").pop();
    const project = join(work, "project");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({ private: true, dependencies: { "wxbase-miniprogram": `file:${join(work, tarball)}` } }));
    execFileSync(npm, ["install", ...quiet, "--ignore-scripts"], { cwd: project, stdio: "inherit" });

    const result = await ci.packNpmManually({
        packageJsonPath: join(project, "package.json"),
        miniprogramNpmDistDir: join(project, "miniprogram"),
    });
    if (result.warnList && result.warnList.length) {
        fail(`the packer warned: ${JSON.stringify(result.warnList)}`);
    }
    const npmDir = join(project, "miniprogram/miniprogram_npm");
    const packed = readdirSync(npmDir);
    if (packed.join() !== "wxbase-miniprogram") {
        fail(`miniprogram_npm holds ${JSON.stringify(packed)}, want only wxbase-miniprogram`);
    }
    const built = join(npmDir, "wxbase-miniprogram/index.js");
    if (!existsSync(built) || readFileSync(built, "utf8") !== readFileSync(join(root, "miniprogram_dist/index.js"), "utf8")) {
        fail("miniprogram_npm/wxbase-miniprogram/index.js is not miniprogram_dist/index.js as committed");
    }
    const { sdk } = new Device({ bundle: built }).launch();
    if (typeof sdk.init !== "function") {
        fail("the packed bundle does not export init()");
    }
    console.log(`check:pack: miniprogram-ci ${ciVersion} packed ${result.miniProgramPackNum} mini-program package(s), ${result.otherNpmPackNum} other(s); the bundle loads.`);
} finally {
    rmSync(work, { recursive: true, force: true });
}
