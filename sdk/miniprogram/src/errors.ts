import { ClientResponseError } from "pocketbase";
import type { WxbaseError as WxbaseErrorType } from "../types/index";

type Fields = ConstructorParameters<typeof WxbaseErrorType>[1];

/**
 * WxbaseError is what every SDK call rejects with: one shape whether the
 * server answered an error, wx failed, or the SDK refused a request.
 */
export class WxbaseError extends Error {
    status: number;
    code: string;
    data: { [key: string]: any };
    url: string;
    isAbort: boolean;
    response: { [key: string]: any };
    originalError?: any;
    /** CloudBase's errMsg, such as "collection.get:fail ...": on the errors of database calls. */
    errMsg?: string;
    /** CloudBase's errCode (a negative number): on the errors of database calls. */
    errCode?: number;

    constructor(message: string, fields: Fields = {}) {
        super(message);
        this.name = "WxbaseError";
        this.status = fields.status || 0;
        this.data = fields.data || {};
        this.code = fields.code || (typeof this.data.code === "string" ? this.data.code : "");
        this.url = fields.url || "";
        this.isAbort = !!fields.isAbort;
        this.response = fields.response || {};
        this.originalError = fields.originalError;
    }
}


/** unsupported is the error for what PocketBase cannot express. */
export function unsupported(message: string): WxbaseError {
    return new WxbaseError(message, { code: "wxbase_unsupported" });
}

/** invalidQuery is the error for a query CloudBase itself refuses. */
export function invalidQuery(message: string): WxbaseError {
    return new WxbaseError(message, { code: "wxbase_invalid_query" });
}

/** toWxbaseError turns PocketBase's ClientResponseError (or anything thrown) into a WxbaseError. */
export function toWxbaseError(err: unknown): WxbaseError {
    if (err instanceof WxbaseError) {
        return err;
    }
    if (err instanceof ClientResponseError) {
        // An adapter failure travels inside PocketBase's error: keep its code.
        const cause = err.originalError;
        if (cause instanceof WxbaseError) {
            return cause;
        }
        const body = err.response || {};
        const data = body.data && typeof body.data === "object" ? body.data : {};
        return new WxbaseError(body.message || err.message, {
            status: err.status,
            data,
            url: err.url,
            isAbort: err.isAbort,
            response: body,
            originalError: cause,
        });
    }
    const message = err instanceof Error ? err.message : String(err);
    return new WxbaseError(message, { originalError: err });
}
