import type { Command, QueryCommand, UpdateCommand, WhereCondition } from "../../types/index";
import { unsupported } from "../errors";
import { isPlainObject } from "./fields";

export type FieldOperator = "eq" | "neq" | "gt" | "gte" | "lt" | "lte" | "in" | "nin";
export type LogicOperator = "and" | "or";
export type UpdateOperator = "inc" | "push" | "pull" | "set" | "remove";

type Operand = QueryCommand | WhereCondition;

/** A query operator: on one field (eq … nin), or and/or over several conditions. */
export class QueryCmd implements QueryCommand {
    readonly kind = "query" as const;

    constructor(
        readonly operator: FieldOperator | LogicOperator,
        readonly operands: any[],
    ) {}

    and(...conditions: Array<QueryCommand | QueryCommand[]>): QueryCommand {
        return new QueryCmd("and", [this as Operand].concat(flatten(conditions)));
    }

    or(...conditions: Array<QueryCommand | QueryCommand[]>): QueryCommand {
        return new QueryCmd("or", [this as Operand].concat(flatten(conditions)));
    }
}

/** An update operator; see update.ts for what each becomes. */
export class UpdateCmd implements UpdateCommand {
    readonly kind = "update" as const;

    constructor(
        readonly operator: UpdateOperator,
        readonly values: any[],
    ) {}
}

function flatten(conditions: Array<Operand | Operand[]>): Operand[] {
    const out: Operand[] = [];
    for (const c of conditions) {
        if (Array.isArray(c)) {
            out.push(...c);
        } else {
            out.push(c);
        }
    }
    return out;
}

function list(values: any[], name: string): any[] {
    if (!Array.isArray(values)) {
        throw unsupported(`db.command.${name}() takes an array.`);
    }
    return values.slice();
}

// CloudBase operators that PocketBase has no counterpart for: calling one is
// a clear error rather than a missing function or an approximation.
const notSupported: { [name: string]: string } = {
    exists: "PocketBase has no field existence test; compare with null instead (_.eq(null), _.neq(null))",
    mod: "PocketBase filters have no arithmetic",
    all: "PocketBase cannot require several values in one array field; use _.and() of conditions",
    elemMatch: "PocketBase cannot match objects inside arrays",
    size: "array sizes are not supported",
    geoNear: "PocketBase has no geo queries",
    geoWithin: "PocketBase has no geo queries",
    geoIntersects: "PocketBase has no geo queries",
    expr: "aggregation expressions are not supported",
    not: "use neq/nin, or rewrite the condition",
    nor: "use and() of neq/nin conditions",
    mul: "PocketBase can only add to numbers (_.inc)",
    min: "PocketBase has no conditional update",
    max: "PocketBase has no conditional update",
    rename: "fields are renamed in the collection's schema",
    shift: "PocketBase cannot remove by position",
    unshift: "PocketBase only appends to arrays (_.push)",
    pop: "PocketBase cannot remove by position",
    addToSet: "multi-value select and relation fields keep unique values already: use _.push",
};

/** makeCommand builds db.command. */
export function makeCommand(): Command {
    const command: Command & { [name: string]: any } = {
        eq: (value) => new QueryCmd("eq", [value]),
        neq: (value) => new QueryCmd("neq", [value]),
        gt: (value) => new QueryCmd("gt", [value]),
        gte: (value) => new QueryCmd("gte", [value]),
        lt: (value) => new QueryCmd("lt", [value]),
        lte: (value) => new QueryCmd("lte", [value]),
        in: (values) => new QueryCmd("in", list(values, "in")),
        nin: (values) => new QueryCmd("nin", list(values, "nin")),
        and: (...conditions) => new QueryCmd("and", flatten(conditions)),
        or: (...conditions) => new QueryCmd("or", flatten(conditions)),

        inc: (value) => {
            if (typeof value !== "number" || !isFinite(value)) {
                throw unsupported("db.command.inc() takes a number.");
            }
            return new UpdateCmd("inc", [value]);
        },
        push: (...args: any[]) => {
            // As CloudBase: push(a, b, c) and push([a, b, c]) append each
            // value; push({ each, position, slice, sort }) takes options,
            // of which PocketBase can do each alone.
            const first = args[0];
            if (args.length === 1 && isPlainObject(first) && Object.prototype.hasOwnProperty.call(first, "each")) {
                const options = ["position", "slice", "sort"].filter((key) => first[key] !== undefined);
                if (options.length > 0) {
                    throw unsupported(
                        `db.command.push({ ${options.join(", ")} }) is not supported: PocketBase appends at the end only; ` +
                            "push({ each }) appends, or read the array and write it whole with _.set().",
                    );
                }
                return new UpdateCmd("push", list(first.each, "push({ each })"));
            }
            if (args.length === 1 && Array.isArray(first)) {
                return new UpdateCmd("push", first.slice());
            }
            return new UpdateCmd("push", args);
        },
        pull: (value) => {
            if (value instanceof QueryCmd) {
                throw unsupported("db.command.pull() with a condition is not supported: PocketBase removes values by equality only.");
            }
            return new UpdateCmd("pull", [value]);
        },
        pullAll: (values) => new UpdateCmd("pull", list(values, "pullAll")),
        set: (value) => new UpdateCmd("set", [value]),
        remove: () => new UpdateCmd("remove", []),
    };
    for (const name of Object.keys(notSupported)) {
        command[name] = () => {
            throw unsupported(`db.command.${name}() is not supported by wxbase: ${notSupported[name]}.`);
        };
    }
    return command;
}
