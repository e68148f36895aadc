import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DeleteItemCommandInput,
  DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { SimulatedAccount } from './account.js';
import { ENVIRONMENTS } from '../../contracts/environments.js';
import { environmentConfig } from '../../infra/config.js';
import { DRILL_LOCK_KEY } from '../../functions/lib/drill-lock.js';

/** Tables of the environments not keyed by `id`: the remediation guardrails (locks, cooldowns, the drill lock), by `pk`. */
const KEYED_BY_PK = Object.fromEntries(ENVIRONMENTS.map((environment) => [`${environmentConfig(environment).prefix}-remediation-guardrails`, 'pk']));

/**
 * DynamoDB tables as items in memory, refusing what DynamoDB refuses: a ConditionExpression is evaluated against the
 * stored item (ConditionalCheckFailed when it does not hold), expression names and values must be defined and used,
 * and an expression this simulation does not understand is an error rather than a guess.
 * Understood: comparisons (= <> < <= > >=), AND, OR, NOT, parentheses, attribute_exists, attribute_not_exists in
 * conditions; `SET a = :v, #b = :w` in updates. Tables are keyed by a single string partition key, `id` unless
 * `keys` names another for a table (by default `pk` for the remediation guardrails, where the drill lock lives).
 */
export class SimulatedDynamoDb {
  private readonly tables = new Map<string, Map<string, Record<string, AttributeValue>>>();

  constructor(
    account: SimulatedAccount,
    private readonly keys: Readonly<Record<string, string>> = KEYED_BY_PK,
  ) {
    const stub = account.mock(DynamoDBClient);
    stub.on(GetItemCommand).callsFake(async (input: GetItemCommandInput) => this.get(input));
    stub.on(PutItemCommand).callsFake(async (input: PutItemCommandInput) => this.put(input));
    stub.on(UpdateItemCommand).callsFake(async (input: UpdateItemCommandInput) => this.update(input));
    stub.on(DeleteItemCommand).callsFake(async (input: DeleteItemCommandInput) => this.delete(input));
  }

  /** The stored item, as GetItem would return it (for a test's Assess, or to seed a scenario). */
  item(tableName: string, id: string): Record<string, AttributeValue> | undefined {
    return this.table(tableName).get(id);
  }

  seed(tableName: string, item: Record<string, AttributeValue>): void {
    this.table(tableName).set(this.keyOf(tableName, item), structuredClone(item));
  }

  private keyOf(tableName: string | undefined, key: Record<string, AttributeValue> | undefined): string {
    const attribute = (tableName && this.keys[tableName]) ?? 'id';
    const value = key?.[attribute]?.S;
    if (!value) throw validation(`One of the required keys was not given a value: ${attribute}`);
    return value;
  }

  private table(name: string | undefined): Map<string, Record<string, AttributeValue>> {
    if (!name) throw validation('TableName is required');
    let table = this.tables.get(name);
    if (!table) {
      table = new Map();
      this.tables.set(name, table);
    }
    return table;
  }

  private get(input: GetItemCommandInput) {
    const item = this.table(input.TableName).get(this.keyOf(input.TableName, input.Key));
    return item ? { Item: structuredClone(item) } : {};
  }

  private put(input: PutItemCommandInput) {
    const table = this.table(input.TableName);
    const key = this.keyOf(input.TableName, input.Item);
    check(input.ConditionExpression, table.get(key), input.ExpressionAttributeNames, input.ExpressionAttributeValues, new Set(), input.ReturnValuesOnConditionCheckFailure);
    table.set(key, structuredClone(input.Item ?? {}));
    return {};
  }

  private delete(input: DeleteItemCommandInput) {
    const table = this.table(input.TableName);
    const key = this.keyOf(input.TableName, input.Key);
    const existing = table.get(key);
    check(input.ConditionExpression, existing, input.ExpressionAttributeNames, input.ExpressionAttributeValues, new Set(), input.ReturnValuesOnConditionCheckFailure);
    table.delete(key);
    return input.ReturnValues === 'ALL_OLD' && existing ? { Attributes: structuredClone(existing) } : {};
  }

  private update(input: UpdateItemCommandInput) {
    const table = this.table(input.TableName);
    const key = this.keyOf(input.TableName, input.Key);
    const existing = table.get(key);
    const names = input.ExpressionAttributeNames;
    const values = input.ExpressionAttributeValues;
    const used = new Set<string>();
    const assignments = parseSet(input.UpdateExpression ?? '', names, values, used);
    check(input.ConditionExpression, existing, names, values, used, input.ReturnValuesOnConditionCheckFailure);
    const updated = { ...(existing ?? (input.Key as Record<string, AttributeValue>)) };
    for (const [attribute, value] of assignments) updated[attribute] = value;
    table.set(key, structuredClone(updated));
    return {};
  }
}

function validation(message: string): Error {
  const error = new Error(message);
  error.name = 'ValidationException';
  return error;
}

type Names = Record<string, string> | undefined;
type Values = Record<string, AttributeValue> | undefined;

function resolveName(token: string, names: Names, used: Set<string>): string {
  if (!token.startsWith('#')) return token;
  const name = names?.[token];
  if (name === undefined) throw validation(`An expression attribute name used in the document path is not defined; attribute name: ${token}`);
  used.add(token);
  return name;
}

function resolveValue(token: string, values: Values, used: Set<string>): AttributeValue {
  const value = values?.[token];
  if (value === undefined) throw validation(`An expression attribute value used in expression is not defined; attribute value: ${token}`);
  used.add(token);
  return value;
}

function parseSet(expression: string, names: Names, values: Values, used: Set<string>): [string, AttributeValue][] {
  const match = /^\s*SET\s+(.+)$/i.exec(expression);
  if (!match?.[1]) throw validation(`SimulatedDynamoDb understands only "SET a = :v, ..." updates, not: ${expression}`);
  return match[1].split(',').map((part) => {
    const assignment = /^\s*([#A-Za-z_][\w]*)\s*=\s*(:[\w]+)\s*$/.exec(part);
    if (!assignment?.[1] || !assignment[2]) throw validation(`SimulatedDynamoDb cannot read the assignment: ${part.trim()}`);
    return [resolveName(assignment[1], names, used), resolveValue(assignment[2], values, used)];
  });
}

/**
 * Throws ConditionalCheckFailed when the condition does not hold for the stored item (with the item when asked for
 * ALL_OLD, as DynamoDB does); refuses unused names and values.
 */
function check(expression: string | undefined, item: Record<string, AttributeValue> | undefined, names: Names, values: Values, used = new Set<string>(), returnOnFailure?: string): void {
  const holds = expression === undefined ? true : new ConditionParser(expression, names, values, used).evaluate(item);
  for (const token of [...Object.keys(names ?? {}), ...Object.keys(values ?? {})]) {
    if (!used.has(token)) throw validation(`Value provided in ExpressionAttribute${token.startsWith('#') ? 'Names' : 'Values'} unused in expressions: keys: {${token}}`);
  }
  if (!holds) throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 }, Item: returnOnFailure === 'ALL_OLD' ? item : undefined });
}

type Operand = { readonly kind: 'path'; readonly name: string } | { readonly kind: 'value'; readonly value: AttributeValue };

class ConditionParser {
  private readonly tokens: string[];
  private position = 0;

  constructor(
    private readonly expression: string,
    private readonly names: Names,
    private readonly values: Values,
    private readonly used: Set<string>,
  ) {
    this.tokens = expression.match(/<>|<=|>=|[()=<>,]|[#:]?[A-Za-z_][\w.]*/g) ?? [];
  }

  evaluate(item: Record<string, AttributeValue> | undefined): boolean {
    const result = this.or(item);
    if (this.position < this.tokens.length) throw validation(`SimulatedDynamoDb cannot read the condition after "${this.tokens[this.position]}": ${this.expression}`);
    return result;
  }

  private peek(): string | undefined {
    return this.tokens[this.position];
  }

  private take(expected?: string): string {
    const token = this.tokens[this.position];
    if (token === undefined || (expected !== undefined && token.toUpperCase() !== expected)) {
      throw validation(`SimulatedDynamoDb expected ${expected ?? 'more'} in the condition: ${this.expression}`);
    }
    this.position += 1;
    return token;
  }

  private or(item: Record<string, AttributeValue> | undefined): boolean {
    let result = this.and(item);
    while (this.peek()?.toUpperCase() === 'OR') {
      this.take();
      const right = this.and(item);
      result = result || right;
    }
    return result;
  }

  private and(item: Record<string, AttributeValue> | undefined): boolean {
    let result = this.not(item);
    while (this.peek()?.toUpperCase() === 'AND') {
      this.take();
      const right = this.not(item);
      result = result && right;
    }
    return result;
  }

  private not(item: Record<string, AttributeValue> | undefined): boolean {
    if (this.peek()?.toUpperCase() === 'NOT') {
      this.take();
      return !this.not(item);
    }
    return this.primary(item);
  }

  private primary(item: Record<string, AttributeValue> | undefined): boolean {
    const token = this.peek();
    if (token === '(') {
      this.take('(');
      const result = this.or(item);
      this.take(')');
      return result;
    }
    if (token === 'attribute_exists' || token === 'attribute_not_exists') {
      this.take();
      this.take('(');
      const name = resolveName(this.take(), this.names, this.used);
      this.take(')');
      const exists = item?.[name] !== undefined;
      return token === 'attribute_exists' ? exists : !exists;
    }
    const left = this.operand();
    const comparator = this.take();
    if (!['=', '<>', '<', '<=', '>', '>='].includes(comparator)) throw validation(`SimulatedDynamoDb does not understand "${comparator}" in: ${this.expression}`);
    return compare(this.read(left, item), comparator, this.read(this.operand(), item));
  }

  private operand(): Operand {
    const token = this.take();
    if (token.startsWith(':')) return { kind: 'value', value: resolveValue(token, this.values, this.used) };
    return { kind: 'path', name: resolveName(token, this.names, this.used) };
  }

  private read(operand: Operand, item: Record<string, AttributeValue> | undefined): AttributeValue | undefined {
    return operand.kind === 'value' ? operand.value : item?.[operand.name];
  }
}

/** DynamoDB compares values of the same type only; a missing attribute or a type mismatch makes the comparison false. */
function compare(left: AttributeValue | undefined, comparator: string, right: AttributeValue | undefined): boolean {
  if (!left || !right) return false;
  let a: string | number;
  let b: string | number;
  if (left.S !== undefined && right.S !== undefined) [a, b] = [left.S, right.S];
  else if (left.N !== undefined && right.N !== undefined) [a, b] = [Number(left.N), Number(right.N)];
  else if (left.BOOL !== undefined && right.BOOL !== undefined && (comparator === '=' || comparator === '<>')) [a, b] = [String(left.BOOL), String(right.BOOL)];
  else return false;
  switch (comparator) {
    case '=':
      return a === b;
    case '<>':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

/** Another drill's execution holding an environment's drill lock: a drill already running, as a scenario scripts it. */
export interface HeldDrillLock {
  readonly execution: string;
  readonly drill: string;
}

/** The drill lock of an environment, held by another execution until `until`: a drill already running. */
export function holdDrillLock(dynamodb: SimulatedDynamoDb, environment: (typeof ENVIRONMENTS)[number], owner: string, drill: string, until: Date): void {
  dynamodb.seed(`${environmentConfig(environment).prefix}-remediation-guardrails`, {
    pk: { S: DRILL_LOCK_KEY },
    owner: { S: owner },
    drill: { S: drill },
    expiresAt: { N: String(Math.floor(until.getTime() / 1000)) },
  });
}
