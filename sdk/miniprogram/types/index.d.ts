// Type declarations of wxbase-miniprogram. Hand-written: they are the API's
// contract, and src/ is type-checked against them (npm run typecheck).

import PocketBase, { RecordModel } from "./pocketbase";

export { PocketBase, RecordModel };

/** Creates the SDK for one wxbase server. */
export declare function init(options: InitOptions): WxbaseApp;

export interface InitOptions {
    /** The wxbase server, such as "https://api.example.com" (a request domain in the mini-program's console). */
    baseURL: string;
    /**
     * The appid sent with each login (and with getPhoneNumber, decrypt and
     * checkSession); "" sends none. Default: wx.getAccountInfoSync().miniProgram.appId.
     */
    appid?: string;
    /**
     * Log in with codes `mock:<mockUser>:<nonce>` instead of wx.login, as
     * that user of a server started with --wechat-mock. Never in production.
     */
    mockUser?: string;
    /** The auth collection WeChat login signs into. Default "users". */
    usersCollection?: string;
    /** The wx storage key that keeps the session. Default "wxbase_auth". */
    storageKey?: string;
    /**
     * Refresh the token before a request when fewer than this many seconds
     * of it remain. Default: the last quarter of the token's lifetime.
     */
    refreshWithin?: number;
    /** The server's batch limit (Settings → Batch), for where().update()/remove(). Default 50. */
    maxBatchRequests?: number;
}

export interface LoginResult {
    /** The signed-in user's record in the users collection. */
    record: RecordModel;
    /** True on the user's first login ever. Always false when ensureLogin() needed no login. */
    isNew: boolean;
    /** The user's openid for this mini-program; only after a network login. */
    openid?: string;
    /** The user's unionid, when WeChat gives one; only after a network login. */
    unionid?: string;
}

export interface UploadFileOptions {
    /** The collection of the record that gets the file. */
    collection: string;
    /** The record to update; leave out to create a new record with the file. */
    id?: string;
    /** The file field. */
    field: string;
    /** A local file path, such as one from wx.chooseMedia or <button open-type="chooseAvatar">. */
    filePath: string;
    /** Other fields to save along (wx.uploadFile sends strings only). */
    data?: { [key: string]: string | number | boolean };
    /** Add the file to a multi-file field instead of replacing its files. */
    append?: boolean;
}

export interface FileURLOptions {
    /** A thumb size defined on the field, such as "100x100". */
    thumb?: string;
    /** A file token from app.fileToken(), needed for a protected file field. */
    token?: string;
    /** Ask the server to send the file as a download. */
    download?: boolean;
}

export interface CallFunctionOptions {
    /** The function: a pb_hooks route POST /api/functions/{name}. */
    name: string;
    /** Sent as the JSON body. */
    data?: any;
}

export interface CallFunctionResult<T = any> {
    /** The function's JSON answer. */
    result: T;
    errMsg: string;
}

/**
 * The event of `<button open-type="getPhoneNumber" bindgetphonenumber="...">`
 * (WechatMiniprogram.ButtonGetPhoneNumber): `detail.code` when the user
 * agreed; only `detail.errMsg` ("getPhoneNumber:fail user deny") when not.
 */
export interface PhoneNumberButtonEvent {
    detail: {
        code?: string;
        errMsg?: string;
        errno?: number;
    };
}

export interface PhoneNumberResult {
    /** E.164: "+8613800138000". Also saved on the user as `phone` (seen only by the user and superusers). */
    phone: string;
    /** The number without its country code: "13800138000". */
    purePhoneNumber: string;
    /** The country calling code without "+": "86". */
    countryCode: string;
}

/** What wx.getWeRunData, wx.getShareInfo and the like hand the mini-program. */
export interface DecryptOptions {
    encryptedData: string;
    iv: string;
    /** With signature, when wx gave them (legacy user info): the server checks the signature. */
    rawData?: string;
    signature?: string;
}

export interface DecryptResult<T = AnyObject> {
    /** The decrypted object, its watermark included. */
    data: T;
}

export interface SessionCheckResult {
    /** Whether the session_key the server keeps for this user is still WeChat's current one. */
    valid: boolean;
}

export interface WxbaseApp {
    /** The official PocketBase client; its auth store lives in wx storage, and its requests go through wx.request. */
    readonly pb: PocketBase;
    /** wx.login, then the server's auth-with-wechat; concurrent calls share one login. */
    login(): Promise<LoginResult>;
    /** At launch: logs in only if there is no valid token or wx.checkSession fails. */
    ensureLogin(): Promise<LoginResult>;
    /** Forgets the session (the next request logs in again). */
    logout(): void;
    /** A wx.cloud.database()-style API over the server's collections. */
    database(): Database;
    /** Uploads a file into a record's file field with wx.uploadFile; resolves with the saved record. */
    uploadFile(options: UploadFileOptions): Promise<RecordModel>;
    /** The URL of a record's file; record may be a facade result (_id) or a PocketBase record (id). */
    fileURL(record: FileRecord, filename: string, options?: FileURLOptions): string;
    /** A short-lived token for protected files (pass it to fileURL). */
    fileToken(): Promise<string>;
    /** POSTs data to the pb_hooks route /api/functions/{name} as the signed-in user. */
    callFunction<T = any>(options: CallFunctionOptions): Promise<CallFunctionResult<T>>;
    /**
     * Binds the user's phone number from the getPhoneNumber button's event; the
     * server stores it on the user, and so does the local auth record. A user
     * who declined rejects with code "wx_phone_denied", without a request.
     */
    getPhoneNumber(event: PhoneNumberButtonEvent): Promise<PhoneNumberResult>;
    /**
     * Has the server decrypt open data with the user's session_key (which never
     * reaches the phone). If WeChat rotated the key (409 "session_key_expired"),
     * logs in again with wx.login and retries once with the same data.
     */
    decrypt<T = AnyObject>(options: DecryptOptions): Promise<DecryptResult<T>>;
    /** Asks the server whether its stored session_key is still valid (WeChat's checksession). */
    checkSession(): Promise<SessionCheckResult>;
}

export interface FileRecord {
    _id?: string;
    id?: string;
    collectionId?: string;
    collectionName?: string;
}

/** Any field values; what a collection's records hold. */
export interface AnyObject {
    [key: string]: any;
}

/** A record as the facade returns it: `_id` for id, `_openid` for owner. */
export type CloudRecord<T = AnyObject> = T & {
    _id: string;
    _openid?: string;
    collectionId?: string;
    collectionName?: string;
};

export interface Database {
    /** Query and update operators, like db.command in CloudBase. */
    readonly command: Command;
    collection<T = AnyObject>(name: string): CollectionReference<T>;
}

/** A where() condition: field values, operators, and nested objects for JSON paths. */
export interface WhereCondition {
    [field: string]: any;
}

export interface Command {
    eq(value: any): QueryCommand;
    neq(value: any): QueryCommand;
    gt(value: any): QueryCommand;
    gte(value: any): QueryCommand;
    lt(value: any): QueryCommand;
    lte(value: any): QueryCommand;
    in(values: any[]): QueryCommand;
    nin(values: any[]): QueryCommand;
    /** All conditions: operators on one field, or whole where() conditions. */
    and(...conditions: Array<QueryCommand | WhereCondition | Array<QueryCommand | WhereCondition>>): QueryCommand;
    /** Any condition: operators on one field, or whole where() conditions. */
    or(...conditions: Array<QueryCommand | WhereCondition | Array<QueryCommand | WhereCondition>>): QueryCommand;

    /** Adds to a number field (atomic). */
    inc(value: number): UpdateCommand;
    /**
     * Appends to a multi-value select, relation or file field (atomic) or a JSON array (read-modify-write):
     * push(a, b, c), push([a, b, c]) or push({ each: [a, b, c] }) append each value; position, slice and sort are refused.
     */
    push(...values: any[]): UpdateCommand;
    /** Removes a value from a multi-value select, relation or file field (atomic) or a JSON array (read-modify-write). */
    pull(value: any): UpdateCommand;
    /** Removes several values, like pull. */
    pullAll(values: any[]): UpdateCommand;
    /** Sets the field to the value as is (an object replaces a JSON field whole). */
    set(value: any): UpdateCommand;
    /** Clears the field (null). */
    remove(): UpdateCommand;
}

export interface QueryCommand {
    readonly kind: "query";
    and(...conditions: Array<QueryCommand | Array<QueryCommand>>): QueryCommand;
    or(...conditions: Array<QueryCommand | Array<QueryCommand>>): QueryCommand;
}

export interface UpdateCommand {
    readonly kind: "update";
}

export interface AddResult {
    _id: string;
    errMsg: string;
}

export interface DocumentGetResult<T> {
    data: CloudRecord<T>;
    errMsg: string;
}

export interface QueryGetResult<T> {
    data: Array<CloudRecord<T>>;
    errMsg: string;
}

export interface CountResult {
    total: number;
    errMsg: string;
}

export interface UpdateResult {
    stats: { updated: number };
    errMsg: string;
}

export interface SetResult {
    _id: string;
    stats: { updated: number; created: number };
    errMsg: string;
}

export interface RemoveResult {
    stats: { removed: number };
    errMsg: string;
}

export interface Query<T = AnyObject> {
    where(condition: WhereCondition | QueryCommand): Query<T>;
    orderBy(field: string, order?: "asc" | "desc"): Query<T>;
    skip(n: number): Query<T>;
    /** At most 1000; get() returns at most 20 without it. */
    limit(n: number): Query<T>;
    /** Which fields to return: `{ title: true }`; _id always comes along. */
    field(projection: { [field: string]: boolean | 1 }): Query<T>;
    get(): Promise<QueryGetResult<T>>;
    count(): Promise<CountResult>;
    /** Updates every match in one all-or-nothing batch. */
    update(options: { data: WhereCondition }): Promise<UpdateResult>;
    /** Removes every match in one all-or-nothing batch. */
    remove(): Promise<RemoveResult>;
    /**
     * Watches the query's result over the app's one WebSocket: an "init"
     * snapshot, then one per change (records entering, changing in, or leaving
     * the result). With limit()/skip(), docs is that window of the result,
     * kept from the whole result the server sends (at most 5,000 records).
     */
    watch(options: WatchOptions<T>): Watcher;
}

export interface CollectionReference<T = AnyObject> extends Query<T> {
    readonly collectionName: string;
    doc(id: string): DocumentReference<T>;
    /** Creates a record; the server sets its owner (_openid) to the signed-in user. */
    add(options: { data: Partial<T> & AnyObject }): Promise<AddResult>;
}

export interface DocumentReference<T = AnyObject> {
    readonly _id: string;
    get(): Promise<DocumentGetResult<T>>;
    /** Updates the given fields; a record that is missing or not yours updates 0. */
    update(options: { data: AnyObject }): Promise<UpdateResult>;
    /** Replaces the record's fields (owner kept), or creates it with this id. */
    set(options: { data: Partial<T> & AnyObject }): Promise<SetResult>;
    /** A record that is missing or not yours removes 0. */
    remove(): Promise<RemoveResult>;
    /** Watches this one record: where({ _id }).watch(options). */
    watch(options: WatchOptions<T>): Watcher;
}

export interface WatchOptions<T = AnyObject> {
    /** Every snapshot: the first has type "init"; after a reconnect a fresh "init" comes. */
    onChange(snapshot: WatchSnapshot<T>): void;
    /**
     * The watch ended: the server refused it (code "watch_invalid",
     * "watch_collection_not_found", "watch_forbidden", "watch_filter_forbidden",
     * "watch_too_large", "watch_failed"), the user was deleted or signed out
     * everywhere ("realtime_auth_revoked"), or the server refused the socket's
     * messages ("realtime_protocol_error"). Nothing more arrives; watch again
     * to start over.
     */
    onError(error: WxbaseError): void;
}

/** A snapshot as CloudBase's watch() delivers it. */
export interface WatchSnapshot<T = AnyObject> {
    /** Counts up per watch; starts again after a reconnect. */
    id: number;
    /** "init" for the first snapshot (and the first after a reconnect); absent for changes. */
    type?: "init";
    /** The whole current result, in the query's order (with limit()/skip(), that window). */
    docs: Array<CloudRecord<T>>;
    /** What changed since the previous snapshot (every document in an "init"). */
    docChanges: Array<WatchDocChange<T>>;
}

export interface WatchDocChange<T = AnyObject> {
    docId: string;
    /** The document; for a remove, as this watch last had it (`{ _id }` alone if it never had it). */
    doc: CloudRecord<T>;
    dataType: "init" | "add" | "update" | "remove";
    queueType: "init" | "enqueue" | "update" | "dequeue";
}

export interface Watcher {
    /** Stops the watch: no snapshot arrives after it; the socket closes with the last watch. */
    close(): Promise<void>;
}

/**
 * Every failure: a server error (status, message, data and data.code from
 * PocketBase's error body), a failed wx call (status 0), or a query or update
 * that PocketBase cannot express (status 0, code "wxbase_unsupported").
 */
export declare class WxbaseError extends Error {
    constructor(message: string, fields?: Partial<Pick<WxbaseError, "status" | "code" | "data" | "url" | "isAbort" | "response" | "originalError">>);
    /** The HTTP status; 0 when no answer came (network, wx failure, a client-side refusal). */
    status: number;
    /** The server's data.code, or the SDK's own code for client-side failures; "" when neither. */
    code: string;
    /** The error body's data: field errors and code. */
    data: { [key: string]: any };
    /** The request URL, when there was a request. */
    url: string;
    /** True when the request was cancelled. */
    isAbort: boolean;
    /** The whole error body ({ status, message, data }). */
    response: { [key: string]: any };
    /** The wx failure or exception behind it, if any. */
    originalError?: any;
}
