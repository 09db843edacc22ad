import type { Command, QueryCommand, UpdateCommand, WhereCondition } from "../../types/index";
import { unsupported } from "../errors";
import { makeAggregateCommand } from "./aggregate";
import { cloudbaseCommands } from "./compat";
import { isPlainObject } from "./fields";

export type FieldOperator =
    | "eq"
    | "neq"
    | "gt"
    | "gte"
    | "lt"
    | "lte"
    | "in"
    | "nin"
    | "exists"
    | "size"
    | "mod"
    | "all"
    | "elemMatch"
    | "not"
    | "geoNear"
    | "geoWithin"
    | "geoIntersects";
export type LogicOperator = "and" | "or" | "nor";
/** _.expr(expression): an aggregation expression as a whole condition. */
export type ExprOperator = "expr";
export type UpdateOperator =
    | "set"
    | "remove"
    | "inc"
    | "mul"
    | "min"
    | "max"
    | "rename"
    | "push"
    | "pull"
    | "pullAll"
    | "addToSet"
    | "pop"
    | "shift"
    | "unshift";

type Operand = QueryCommand | WhereCondition;

/**
 * A query operator: on one field (eq … geoIntersects), or and/or/nor over
 * several conditions. serialize.ts turns it into the server's query form.
 */
export class QueryCmd implements QueryCommand {
    readonly kind = "query" as const;

    constructor(
        readonly operator: FieldOperator | LogicOperator | ExprOperator,
        readonly operands: any[],
    ) {}

    and(...conditions: Array<QueryCommand | QueryCommand[]>): QueryCommand {
        return new QueryCmd("and", [this as Operand].concat(flatten(conditions)));
    }

    or(...conditions: Array<QueryCommand | QueryCommand[]>): QueryCommand {
        return new QueryCmd("or", [this as Operand].concat(flatten(conditions)));
    }
}

/** An update operator; serialize.ts turns it into the server's update form. */
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

function number(value: any, name: string): number {
    if (typeof value !== "number" || !isFinite(value)) {
        throw unsupported(`db.command.${name}() takes a number.`);
    }
    return value;
}

/** makeCommand builds db.command. */
export function makeCommand(): Command {
    const command: Command & { [name: string]: any } = {
        eq: (value) => new QueryCmd("eq", [value]),
        neq: (value) => new QueryCmd("neq", [value]),
        gt: (value) => new QueryCmd("gt", [value]),
        gte: (value) => new QueryCmd("gte", [value]),
        lt: (value) => new QueryCmd("lt", [value]),
        lte: (value) => new QueryCmd("lte", [value]),
        in: (values) => new QueryCmd("in", [list(values, "in")]),
        nin: (values) => new QueryCmd("nin", [list(values, "nin")]),
        and: (...conditions) => new QueryCmd("and", flatten(conditions)),
        or: (...conditions) => new QueryCmd("or", flatten(conditions)),
        nor: (...conditions: any[]) => new QueryCmd("nor", flatten(conditions)),
        not: (condition: any) => {
            if (!(condition instanceof QueryCmd)) {
                throw unsupported("db.command.not() takes an operator, such as _.not(_.gt(5)).");
            }
            return new QueryCmd("not", [condition]);
        },
        exists: (value: boolean) => new QueryCmd("exists", [!!value]),
        size: (n: number) => new QueryCmd("size", [number(n, "size")]),
        // mod(divisor, remainder), or the server SDK's mod([divisor, remainder]).
        mod: (divisor: number | number[], remainder?: number) => {
            const pair = Array.isArray(divisor) ? divisor : [divisor, remainder];
            return new QueryCmd("mod", [number(pair[0], "mod"), number(pair[1], "mod")]);
        },
        all: (values: any[]) => new QueryCmd("all", [list(values, "all")]),
        elemMatch: (condition: any) => new QueryCmd("elemMatch", [condition]),
        geoNear: (options: any) => new QueryCmd("geoNear", [options]),
        geoWithin: (options: any) => new QueryCmd("geoWithin", [options]),
        geoIntersects: (options: any) => new QueryCmd("geoIntersects", [options]),

        // field({ arr: _.project.slice(n) }) and slice([skip, n]).
        project: {
            slice: (arg: number | [number, number]) => ({ $slice: arg }),
        },

        set: (value) => new UpdateCmd("set", [value]),
        remove: () => new UpdateCmd("remove", []),
        inc: (value) => new UpdateCmd("inc", [number(value, "inc")]),
        mul: (value: number) => new UpdateCmd("mul", [number(value, "mul")]),
        min: (value: any) => new UpdateCmd("min", [value]),
        max: (value: any) => new UpdateCmd("max", [value]),
        rename: (name: string) => {
            if (typeof name !== "string" || !name) {
                throw unsupported("db.command.rename() takes the new field name.");
            }
            return new UpdateCmd("rename", [name]);
        },
        push: (...args: any[]) => {
            // As CloudBase: push(a, b, c) and push([a, b, c]) append each
            // value; push({ each, position, slice, sort }) takes options.
            const first = args[0];
            if (args.length === 1 && isPlainObject(first) && Object.prototype.hasOwnProperty.call(first, "each")) {
                const options: { [key: string]: any } = { each: list(first.each, "push({ each })") };
                for (const key of ["position", "slice", "sort"]) {
                    if (first[key] !== undefined) {
                        options[key] = first[key];
                    }
                }
                return new UpdateCmd("push", [options]);
            }
            if (args.length === 1 && Array.isArray(first)) {
                return new UpdateCmd("push", [{ each: first.slice() }]);
            }
            return new UpdateCmd("push", [{ each: args }]);
        },
        pull: (value) => new UpdateCmd("pull", [value]),
        pullAll: (values) => new UpdateCmd("pullAll", [list(values, "pullAll")]),
        addToSet: (value: any) => {
            if (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, "each")) {
                return new UpdateCmd("addToSet", [{ each: list(value.each, "addToSet({ each })") }]);
            }
            return new UpdateCmd("addToSet", [value]);
        },
        pop: () => new UpdateCmd("pop", [1]),
        shift: () => new UpdateCmd("shift", [-1]),
        unshift: (...args: any[]) => {
            const values = args.length === 1 && Array.isArray(args[0]) ? args[0].slice() : args;
            return new UpdateCmd("unshift", [values]);
        },
        // _.expr($.eq(['$a', '$b'])) in match(), and the aggregation
        // operators ($ = db.command.aggregate).
        expr: (expression: any) => new QueryCmd("expr", [expression]),
        aggregate: makeAggregateCommand(),
        // jsonSchema (compat.ts).
        ...cloudbaseCommands(),
    } as Command & { [name: string]: any };
    return command;
}
