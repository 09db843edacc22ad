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
    /**
     * A wx.cloud.database()-style API over the server's collections; one
     * database object per distinct options.
     */
    database(options: DatabaseOptions & { throwOnNotFound: false }): Database<null>;
    database(options?: DatabaseOptions): Database;
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

/** The options of app.database(), as CloudBase's wx.cloud.database(options). */
export interface DatabaseOptions {
    /**
     * false: doc(id).get() of a record that does not exist (or that the
     * collection's rules hide) resolves { data: null, errMsg: "document.get:ok" }
     * instead of rejecting. Default true.
     */
    throwOnNotFound?: boolean;
    /** CloudBase's environment: ignored, the server is the one init() names. */
    env?: string;
}

/**
 * A database. Missing is null for app.database({ throwOnNotFound: false }),
 * whose doc(id).get() answers { data: null } for a missing record.
 */
export interface Database<Missing extends null = never> {
    /** Query and update operators, like db.command in CloudBase. */
    readonly command: Command;
    /** Geographic values, stored as GeoJSON in a JSON field. */
    readonly Geo: GeoConstructors;
    /** The server's clock at write time, plus offset milliseconds: in add(), set(), update() and where(). */
    serverDate(options?: { offset?: number }): ServerDateValue;
    /** A regular expression the server runs (MongoDB's rules); options i, m, s. */
    RegExp(options: { regexp: string; options?: string }): RegExpValue;
    collection<T = AnyObject>(name: string): CollectionReference<T, Missing>;
    /**
     * Not supported: rejects with wxbase_unsupported. Write the transaction
     * as a pb_hooks route (app.callFunction) with $app.runInTransaction(), or
     * send the writes all or nothing through PocketBase's batch API (app.pb.createBatch()).
     */
    runTransaction(callback: (transaction: any) => any, times?: number): Promise<never>;
    /** Not supported: rejects with wxbase_unsupported, as runTransaction(). */
    startTransaction(): Promise<never>;
    /** Not supported: rejects with wxbase_unsupported. Collections are created in the PocketBase dashboard or by a migration. */
    createCollection(name: string): Promise<never>;
}

/**
 * The callbacks of CloudBase's callback style. With any of them a database
 * method returns undefined, and calls success(res) or fail(err), then
 * complete(res or err). A callback that throws is logged to the console.
 */
export interface DatabaseCallbacks<R> {
    success?: (res: R) => void;
    fail?: (err: WxbaseError) => void;
    complete?: (res: R | WxbaseError) => void;
}

/** Options in the callback style (miniprogram-api-typings' OQ): at least one callback. */
export type CallbackOptions<O extends DatabaseCallbacks<any>> = O &
    (Required<Pick<O, "success">> | Required<Pick<O, "fail">> | Required<Pick<O, "complete">>);

/** Options in the Promise style (miniprogram-api-typings' RQ): no callback. */
export type PromiseOptions<O extends DatabaseCallbacks<any>> = Pick<O, Exclude<keyof O, "success" | "fail" | "complete">>;

/** The options of add(), set() and update(): the data, and the callbacks. */
export interface DataOptions<D, R> extends DatabaseCallbacks<R> {
    data: D;
}

export interface ServerDateValue {
    readonly offset: number;
}

export interface RegExpValue {
    readonly regexp: string;
    readonly options: string;
}

/** A db.Geo value: stored as GeoJSON in a JSON field, read back as a db.Geo value. */
export interface GeoValue {
    toJSON(): { type: string; coordinates: any[] };
}

export interface GeoPoint extends GeoValue {
    readonly longitude: number;
    readonly latitude: number;
}

export interface GeoLineString extends GeoValue {
    readonly points: GeoPoint[];
}

export interface GeoPolygon extends GeoValue {
    readonly lines: GeoLineString[];
}

/** A constructor called with or without new, as CloudBase code does both. */
export interface GeoConstructor<A extends any[], T> {
    (...args: A): T;
    new (...args: A): T;
}

export interface GeoConstructors {
    Point: GeoConstructor<[longitude: number, latitude: number], GeoPoint>;
    LineString: GeoConstructor<[points: GeoPoint[]], GeoLineString>;
    Polygon: GeoConstructor<[lines: GeoLineString[]], GeoPolygon>;
    MultiPoint: GeoConstructor<[points: GeoPoint[]], GeoValue & { readonly points: GeoPoint[] }>;
    MultiLineString: GeoConstructor<[lines: GeoLineString[]], GeoValue & { readonly lines: GeoLineString[] }>;
    MultiPolygon: GeoConstructor<[polygons: GeoPolygon[]], GeoValue & { readonly polygons: GeoPolygon[] }>;
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
    /** Projection operators for field(): _.project.slice(n) or slice([skip, n]). */
    readonly project: { slice(arg: number | [number, number]): AnyObject };
    /** None of the conditions. */
    nor(...conditions: Array<QueryCommand | WhereCondition | Array<QueryCommand | WhereCondition>>): QueryCommand;
    not(condition: QueryCommand): QueryCommand;
    exists(value: boolean): QueryCommand;
    size(n: number): QueryCommand;
    mod(divisor: number, remainder: number): QueryCommand;
    all(values: any[]): QueryCommand;
    elemMatch(condition: QueryCommand | WhereCondition): QueryCommand;
    geoNear(options: { geometry: GeoValue; maxDistance?: number; minDistance?: number }): QueryCommand;
    geoWithin(options: { geometry?: GeoValue; centerSphere?: [GeoValue | number[], number] }): QueryCommand;
    geoIntersects(options: { geometry: GeoValue }): QueryCommand;
    /** All conditions: operators on one field, or whole where() conditions. */
    and(...conditions: Array<QueryCommand | WhereCondition | Array<QueryCommand | WhereCondition>>): QueryCommand;
    /** Any condition: operators on one field, or whole where() conditions. */
    or(...conditions: Array<QueryCommand | WhereCondition | Array<QueryCommand | WhereCondition>>): QueryCommand;

    /** Every update operator is applied inside the server's write transaction: atomic per document. */
    inc(value: number): UpdateCommand;
    mul(value: number): UpdateCommand;
    min(value: any): UpdateCommand;
    max(value: any): UpdateCommand;
    rename(newName: string): UpdateCommand;
    /** push(a, b, c), push([a, b, c]) or push({ each, position, slice, sort }). */
    push(...values: any[]): UpdateCommand;
    /** Removes the values equal to value, or matching a condition (_.gt(5), { name: 'x' }). */
    pull(value: any): UpdateCommand;
    pullAll(values: any[]): UpdateCommand;
    addToSet(value: any): UpdateCommand;
    pop(): UpdateCommand;
    shift(): UpdateCommand;
    unshift(...values: any[]): UpdateCommand;
    /** Sets the field to the value as is (an object replaces, where a plain nested object merges). */
    set(value: any): UpdateCommand;
    /** Removes the field (a PocketBase field goes back to its empty value). */
    remove(): UpdateCommand;

    /** An aggregation expression as a condition, in match(): _.expr($.gt(['$spent', '$budget'])). */
    expr(expression: any): QueryCommand;
    /** Not supported: throws wxbase_unsupported (the collection's fields define its records). */
    jsonSchema(schema: AnyObject): never;
    /** The aggregation operators ($ in CloudBase code): $.sum('$price'), $.eq(['$a', '$b']), ... */
    readonly aggregate: AggregateCommand;
}

/** An aggregation operator's expression: $.sum('$price') is { $sum: '$price' } on the wire. */
export interface AggregateExpression {
    readonly name: string;
    readonly param: unknown;
}

/**
 * db.command.aggregate: CloudBase's aggregation operators. Every name
 * CloudBase's SDK has builds its expression; the server runs those listed in
 * docs/database.md and answers the rest with wxbase_unsupported, naming it.
 */
export interface AggregateCommand {
    /** A pipeline for lookup({ let, pipeline: $.pipeline().match(...).done(), as }). */
    pipeline(): Aggregate;
    readonly [operator: string]: (param?: any) => AggregateExpression | Aggregate;
}

export interface AggregateResult {
    list: AnyObject[];
    errMsg: string;
}

/**
 * collection.aggregate(): each stage method adds a stage; end() runs the
 * pipeline over the records the user may list (the collection's list rule),
 * 20 documents when no limit() is given, at most 10,000.
 */
export interface Aggregate {
    addFields(fields: AnyObject): Aggregate;
    /** Not supported: answers wxbase_unsupported (group on a $switch of the ranges instead). */
    bucket(spec: AnyObject): Aggregate;
    /** Not supported: answers wxbase_unsupported. */
    bucketAuto(spec: AnyObject): Aggregate;
    count(field: string): Aggregate;
    /** First stage only: { near: db.Geo.Point(...), distanceField, spherical, maxDistance, minDistance, query, key, includeLocs, distanceMultiplier }. */
    geoNear(options: AnyObject): Aggregate;
    group(spec: AnyObject): Aggregate;
    limit(n: number): Aggregate;
    /** { from, localField, foreignField, as } or { from, let, pipeline, as }: only what the user may list in from. */
    lookup(options: AnyObject): Aggregate;
    match(condition: WhereCondition | QueryCommand): Aggregate;
    project(spec: AnyObject): Aggregate;
    replaceRoot(spec: { newRoot: any }): Aggregate;
    sample(spec: { size: number }): Aggregate;
    skip(n: number): Aggregate;
    /** { a: -1, b: 1 }: the first key is the most significant. */
    sort(spec: AnyObject): Aggregate;
    sortByCount(expression: any): Aggregate;
    unwind(spec: string | { path: string; includeArrayIndex?: string; preserveNullAndEmptyArrays?: boolean }): Aggregate;
    /** The stages of a $.pipeline(), for lookup(). */
    done(): AnyObject[];
    end(options: CallbackOptions<DatabaseCallbacks<AggregateResult>>): void;
    end(options?: PromiseOptions<DatabaseCallbacks<AggregateResult>>): Promise<AggregateResult>;
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

export interface DocumentGetResult<T, Missing extends null = never> {
    /** The record; null for a missing one with app.database({ throwOnNotFound: false }). */
    data: CloudRecord<T> | Missing;
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
    /** A whole number >= 1; above 1000 reads 1000. get() returns at most 20 without it. */
    limit(n: number): Query<T>;
    /** Which fields to return: `{ title: true }`; _id always comes along. */
    /** { name: true } returns only the named fields (dot paths too), { name: false } leaves them out. */
    field(projection: { [field: string]: boolean | 0 | 1 | AnyObject }): Query<T>;
    /** The matches: a Promise, or with a callback in options, undefined (success(res) gets the result). */
    get(options: CallbackOptions<DatabaseCallbacks<QueryGetResult<T>>>): void;
    get(options?: PromiseOptions<DatabaseCallbacks<QueryGetResult<T>>>): Promise<QueryGetResult<T>>;
    count(options: CallbackOptions<DatabaseCallbacks<CountResult>>): void;
    count(options?: PromiseOptions<DatabaseCallbacks<CountResult>>): Promise<CountResult>;
    /** Updates every match in one all-or-nothing batch. */
    update(options: CallbackOptions<DataOptions<WhereCondition, UpdateResult>>): void;
    update(options: PromiseOptions<DataOptions<WhereCondition, UpdateResult>>): Promise<UpdateResult>;
    /** Removes every match in one all-or-nothing batch. */
    remove(options: CallbackOptions<DatabaseCallbacks<RemoveResult>>): void;
    remove(options?: PromiseOptions<DatabaseCallbacks<RemoveResult>>): Promise<RemoveResult>;
    /**
     * Watches the query's result over the app's one WebSocket: an "init"
     * snapshot, then one per change (records entering, changing in, or leaving
     * the result). With limit()/skip(), docs is that window of the result,
     * kept from the whole result the server sends (at most 5,000 records).
     */
    watch(options: WatchOptions<T>): Watcher;
}

export interface CollectionReference<T = AnyObject, Missing extends null = never> extends Query<T> {
    readonly collectionName: string;
    doc(id: string): DocumentReference<T, Missing>;
    /** Creates a record; the server sets its owner (_openid) to the signed-in user. */
    add(options: CallbackOptions<DataOptions<Partial<T> & AnyObject, AddResult>>): void;
    add(options: PromiseOptions<DataOptions<Partial<T> & AnyObject, AddResult>>): Promise<AddResult>;
    /** The aggregation pipeline: aggregate().match(...).group(...).sort(...).end(). */
    aggregate(): Aggregate;
    /** Several documents, created all or none. */
    add(options: CallbackOptions<DataOptions<Array<Partial<T> & AnyObject>, { _ids: string[]; errMsg: string }>>): void;
    add(options: PromiseOptions<DataOptions<Array<Partial<T> & AnyObject>, { _ids: string[]; errMsg: string }>>): Promise<{ _ids: string[]; errMsg: string }>;
}

export interface DocumentReference<T = AnyObject, Missing extends null = never> {
    readonly _id: string;
    field(projection: { [field: string]: boolean | 0 | 1 | AnyObject }): DocumentReference<T, Missing>;
    /** A missing record rejects (errMsg "document.get:fail document with _id ... does not exist"), or with throwOnNotFound: false answers { data: null }. */
    get(options: CallbackOptions<DatabaseCallbacks<DocumentGetResult<T, Missing>>>): void;
    get(options?: PromiseOptions<DatabaseCallbacks<DocumentGetResult<T, Missing>>>): Promise<DocumentGetResult<T, Missing>>;
    /** Updates the given fields; a record that is missing or not yours updates 0. */
    update(options: CallbackOptions<DataOptions<AnyObject, UpdateResult>>): void;
    update(options: PromiseOptions<DataOptions<AnyObject, UpdateResult>>): Promise<UpdateResult>;
    /** Replaces the record's fields (owner kept), or creates it with this id. */
    set(options: CallbackOptions<DataOptions<Partial<T> & AnyObject, SetResult>>): void;
    set(options: PromiseOptions<DataOptions<Partial<T> & AnyObject, SetResult>>): Promise<SetResult>;
    /** A record that is missing or not yours removes 0. */
    remove(options: CallbackOptions<DatabaseCallbacks<RemoveResult>>): void;
    remove(options?: PromiseOptions<DatabaseCallbacks<RemoveResult>>): Promise<RemoveResult>;
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
 * Those of the database methods also carry CloudBase's errMsg and errCode.
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
    /**
     * CloudBase's errMsg, on the errors of database methods: "<method>:fail <message>"
     * ("collection.get:fail ...", "document.get:fail document with _id x does not exist").
     */
    errMsg?: string;
    /**
     * CloudBase's errCode, on the errors of database methods: -1 no answer or a
     * missing document, -401002 a query CloudBase refuses, -501003 rate limited,
     * -501007 data the server refused (400), -501021 not supported by wxbase,
     * -502001 any other database failure, -502003 permission denied (401/403),
     * -502005 the collection does not exist.
     */
    errCode?: number;
}
