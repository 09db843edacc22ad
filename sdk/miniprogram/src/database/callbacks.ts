// CloudBase's calling conventions for the database methods that answer
// once (get, count, add, set, update, remove): the success/fail/complete
// callback style, and errMsg/errCode on every error. Applied once per class
// by withCallbacks() at the end of collection.ts.
import { WxbaseError, toWxbaseError } from "../errors";

/** The CloudBase names of the methods, which prefix errMsg: "collection.get:ok", "document.get:fail ...". */
export type DatabaseApi =
    | "collection.get"
    | "collection.count"
    | "collection.add"
    | "collection.update"
    | "collection.remove"
    | "collection.aggregate"
    | "document.get"
    | "document.set"
    | "document.update"
    | "document.remove"
    | "database.runTransaction"
    | "database.startTransaction"
    | "database.createCollection";

/**
 * CloudBase's errCode values (the mini-program's cloud error codes,
 * developers.weixin.qq.com/miniprogram/dev/wxcloud/reference/errcode.html)
 * that wxbase's failures map to.
 */
export const errCodes = {
    /** 通用错误: no answer came (network, wx failure, login), and a missing document. */
    generic: -1,
    /** SDK 通用错误：API 传入参数错误: a query CloudBase itself refuses (wxbase_invalid_query). */
    invalidArgument: -401002,
    /** 云资源通用错误：请求次数超出环境配额: the server's rate limit (429). */
    quotaExceeded: -501003,
    /** 云资源通用错误：参数错误: the server refused the request's data (400). */
    invalidParameter: -501007,
    /** 云资源通用错误：操作不支持: what PocketBase cannot do (wxbase_unsupported). */
    unsupported: -501021,
    /** 云资源数据库错误：数据库请求失败: any other failure of the request. */
    databaseFailed: -502001,
    /** 云资源数据库错误：无权限操作数据库: 401 and 403. */
    permissionDenied: -502003,
    /** 云资源数据库错误：集合不存在: the collection does not exist (PocketBase's 404 "Missing collection context."). */
    collectionMissing: -502005,
};

/**
 * isMissingCollection tells PocketBase's 404 for a collection that does not
 * exist: "Missing collection context." or "Missing or invalid collection context.".
 */
function isMissingCollection(err: WxbaseError): boolean {
    return err.status === 404 && /^Missing (or invalid )?collection context/.test(err.message);
}

/**
 * isMissingDocument tells a 404 of a record: it does not exist, or the
 * collection's rules hide it from the user (PocketBase answers the same).
 */
export function isMissingDocument(err: unknown): boolean {
    return err instanceof WxbaseError && err.status === 404 && !isMissingCollection(err);
}

/** errCodeOf picks the CloudBase errCode for a failure. */
export function errCodeOf(err: WxbaseError): number {
    switch (err.code) {
        case "wxbase_unsupported":
            return errCodes.unsupported;
        case "wxbase_invalid_query":
            return errCodes.invalidArgument;
        case "wxbase_batch_too_large":
        case "wxbase_field_type_unknown":
            return errCodes.databaseFailed;
    }
    if (err.status === 0) {
        return errCodes.generic;
    }
    if (err.status === 400) {
        return errCodes.invalidParameter;
    }
    if (err.status === 401 || err.status === 403) {
        return errCodes.permissionDenied;
    }
    if (err.status === 404) {
        return isMissingCollection(err) ? errCodes.collectionMissing : errCodes.generic;
    }
    if (err.status === 429) {
        return errCodes.quotaExceeded;
    }
    return errCodes.databaseFailed;
}

/**
 * cloudbaseError is the error a database method rejects with: a copy of the
 * failure (one failure, such as a shared login, may reach several calls)
 * with CloudBase's errMsg ("<api>:fail <message>") and errCode. docId names
 * the document in document.get's "does not exist", as CloudBase words it.
 */
export function cloudbaseError(api: DatabaseApi, failure: unknown, docId?: string): WxbaseError {
    const err = toWxbaseError(failure);
    const out = new WxbaseError(err.message, {
        status: err.status,
        code: err.code,
        data: err.data,
        url: err.url,
        isAbort: err.isAbort,
        response: err.response,
        originalError: err.originalError,
    });
    if (err.stack) {
        out.stack = err.stack;
    }
    out.errCode = errCodeOf(err);
    out.errMsg =
        api === "document.get" && docId !== undefined && isMissingDocument(err)
            ? `document.get:fail document with _id ${docId} does not exist`
            : `${api}:fail ${err.message}`;
    return out;
}

/** The callbacks of CloudBase's callback style. */
interface Callbacks {
    success?: (res: any) => void;
    fail?: (err: WxbaseError) => void;
    complete?: (resOrErr: any) => void;
}

const callbackNames = ["success", "fail", "complete"];

/** hasCallbacks tells the callback style: options with success, fail or complete. */
export function hasCallbacks(options: unknown): options is Callbacks {
    if (!options || typeof options !== "object") {
        return false;
    }
    return callbackNames.some((name) => typeof (options as { [key: string]: unknown })[name] === "function");
}

/** withoutCallbacks is options as the method reads them: the callbacks left out. */
function withoutCallbacks<O>(options: O): O {
    if (!hasCallbacks(options)) {
        return options;
    }
    const rest: { [key: string]: any } = {};
    for (const key of Object.keys(options)) {
        if (callbackNames.indexOf(key) < 0) {
            rest[key] = (options as { [key: string]: any })[key];
        }
    }
    return rest as O;
}

/**
 * call runs one callback. What it throws is the app's own error: it goes to
 * the console, never to fail() nor into an unhandled rejection.
 */
function call(api: DatabaseApi, name: string, fn: ((value: any) => void) | undefined, value: unknown): void {
    if (typeof fn !== "function") {
        return;
    }
    try {
        fn(value);
    } catch (err) {
        console.error(`${api}: the ${name} callback threw:`, err);
    }
}

/**
 * settle answers a database call in CloudBase's two styles. Without a
 * callback in options it returns the call's Promise, whose errors carry
 * errMsg and errCode. With success, fail or complete it returns undefined,
 * as CloudBase's mini-program SDK does ("否则不返回任何值"), and calls
 * success(res) or fail(err), then complete(res or err).
 */
export function settle<R>(api: DatabaseApi, options: unknown, run: () => Promise<R>, docId?: string): Promise<R> | undefined {
    let promise: Promise<R>;
    try {
        promise = Promise.resolve(run());
    } catch (err) {
        promise = Promise.reject(err);
    }
    promise = promise.catch((err) => {
        throw cloudbaseError(api, err, docId);
    });
    if (!hasCallbacks(options)) {
        return promise;
    }
    const { success, fail, complete } = options;
    promise.then(
        (res) => {
            call(api, "success", success, res);
            call(api, "complete", complete, res);
        },
        (err) => {
            call(api, "fail", fail, err);
            call(api, "complete", complete, err);
        },
    );
    return undefined;
}

/**
 * withCallbacks makes the named methods of a class (its prototype) answer
 * in CloudBase's styles through settle(): each takes an options object that
 * may hold callbacks, and the method itself sees it without them. prefix is
 * "collection" for a query or collection, "document" for doc(id).
 */
export function withCallbacks<P extends object>(proto: P, prefix: "collection" | "document", names: Array<keyof P & string>): void {
    const methods = proto as unknown as { [name: string]: (this: any, ...args: any[]) => Promise<any> | undefined };
    for (const name of names) {
        const method = methods[name];
        const api = `${prefix}.${name}` as DatabaseApi;
        methods[name] = function (this: { _id?: unknown }, options?: unknown) {
            const docId = prefix === "document" && typeof this._id === "string" ? this._id : undefined;
            return settle(api, options, () => method.call(this, withoutCallbacks(options)) as Promise<unknown>, docId);
        };
    }
}
