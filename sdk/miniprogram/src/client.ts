import PocketBase, { SendOptions } from "pocketbase";
import { realtimeUnsupported } from "./adapters/event-source";
import { toWxbaseError } from "./errors";
import type { Session } from "./session";

/**
 * sessionFree tells the requests that must not wait for a login: the sign-in
 * routes themselves (or a login could never start), the token refresh, and
 * the health check.
 */
function sessionFree(path: string): boolean {
    const clean = path.split("?")[0];
    if (clean === "/api/health" || clean === "api/health") {
        return true;
    }
    return /\/auth-(with-[^/]+|refresh|methods)$/.test(clean) || /\/(request|confirm)-[^/]+$/.test(clean);
}

/**
 * WxbaseClient is the official PocketBase client whose every request runs
 * inside the session: logged in first, retried once after a re-login on
 * 401, and rejected with a WxbaseError.
 */
export class WxbaseClient extends PocketBase {
    session: Session | null = null;

    constructor(baseURL: string, authStore: PocketBase["authStore"]) {
        super(baseURL, authStore);
        // wx has no EventSource: refuse realtime up front rather than hang.
        const refuse = () => Promise.reject(realtimeUnsupported());
        this.realtime.subscribe = refuse;
    }

    async send<T = any>(path: string, options: SendOptions = {}): Promise<T> {
        const once = async (): Promise<T> => {
            try {
                return await super.send<T>(path, options);
            } catch (err) {
                throw toWxbaseError(err);
            }
        };
        if (!this.session || sessionFree(path)) {
            return once();
        }
        return this.session.run(once);
    }
}
