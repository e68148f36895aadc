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
  ResourceNotFoundException,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { SimulatedAccount } from './account.js';

/**
 * DynamoDB as the ops workflows use it: items kept per table, and every write's ConditionExpression evaluated against
 * the stored item, as DynamoDB does, so locks, cooldowns and approvals are real mutual exclusion in a rehearsal.
 * Supported: comparisons (= <> < <= > >=), attribute_exists, attribute_not_exists, begins_with, AND, OR, NOT,
 * parentheses, #names and :values; UpdateItem with SET and REMOVE. Anything else is refused, not guessed.
 */

type Item = Record<string, AttributeValue>;

interface Names {
  readonly names?: Record<string, string>;
  readonly values?: Record<string, AttributeValue>;
}

class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationException';
  }
}

const TOKEN = /\s*(attribute_not_exists|attribute_exists|begins_with|AND|OR|NOT|<>|<=|>=|=|<|>|\(|\)|,|[#:]?[A-Za-z_][A-Za-z0-9_]*)/iy;

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    if (/^\s*$/.test(expression.slice(TOKEN.lastIndex))) break;
    const match = TOKEN.exec(expression);
    if (!match?.[1]) throw new ExpressionError(`Invalid ConditionExpression near "${expression.slice(TOKEN.lastIndex)}"`);
    tokens.push(match[1]);
  }
  return tokens;
}

function attributeName(token: string, context: Names): string {
  if (!token.startsWith('#')) return token;
  const name = context.names?.[token];
  if (name === undefined) throw new ExpressionError(`An expression attribute name used in the document path is not defined: ${token}`);
  return name;
}

function compare(left: AttributeValue | undefined, right: AttributeValue | undefined, operator: string): boolean {
  if (!left || !right) return operator === '<>' ? left !== right : false;
  const [a, b] = [left.N ?? left.S ?? (left.BOOL === undefined ? undefined : String(left.BOOL)), right.N ?? right.S ?? (right.BOOL === undefined ? undefined : String(right.BOOL))];
  if (a === undefined || b === undefined) return false;
  const numeric = left.N !== undefined && right.N !== undefined;
  const order = numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0;
  switch (operator) {
    case '=':
      return (left.N !== undefined) === (right.N !== undefined) && order === 0;
    case '<>':
      return !((left.N !== undefined) === (right.N !== undefined) && order === 0);
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    default:
      throw new ExpressionError(`Unsupported comparator ${operator}`);
  }
}

/** A recursive-descent evaluator: OR of ANDs of (NOT) terms. */
export function evaluateCondition(expression: string, item: Item | undefined, context: Names): boolean {
  const tokens = tokenize(expression);
  let position = 0;
  const peek = () => tokens[position];
  const take = (expected?: string) => {
    const token = tokens[position];
    if (token === undefined || (expected !== undefined && token.toUpperCase() !== expected.toUpperCase())) throw new ExpressionError(`Invalid ConditionExpression: expected ${expected ?? 'more'} at "${token ?? 'end'}"`);
    position += 1;
    return token;
  };
  const operand = (token: string): AttributeValue | undefined => {
    if (token.startsWith(':')) {
      const value = context.values?.[token];
      if (value === undefined) throw new ExpressionError(`An expression attribute value used in expression is not defined: ${token}`);
      return value;
    }
    return item?.[attributeName(token, context)];
  };
  const term = (): boolean => {
    const token = take();
    const upper = token.toUpperCase();
    if (upper === 'NOT') return !term();
    if (token === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if (upper === 'ATTRIBUTE_EXISTS' || upper === 'ATTRIBUTE_NOT_EXISTS' || upper === 'BEGINS_WITH') {
      take('(');
      const path = attributeName(take(), context);
      if (upper === 'BEGINS_WITH') {
        take(',');
        const prefix = operand(take());
        take(')');
        return item?.[path]?.S !== undefined && prefix?.S !== undefined && item[path].S!.startsWith(prefix.S);
      }
      take(')');
      return upper === 'ATTRIBUTE_EXISTS' ? item?.[path] !== undefined : item?.[path] === undefined;
    }
    const operator = take();
    return compare(operand(token), operand(take()), operator);
  };
  const and = (): boolean => {
    let value = term();
    while (peek()?.toUpperCase() === 'AND') {
      take();
      value = term() && value;
    }
    return value;
  };
  const or = (): boolean => {
    let value = and();
    while (peek()?.toUpperCase() === 'OR') {
      take();
      value = and() || value;
    }
    return value;
  };
  const result = or();
  if (position !== tokens.length) throw new ExpressionError(`Invalid ConditionExpression: unexpected "${tokens[position]}"`);
  return result;
}

/** `SET a = :v, #b = :w REMOVE c`: the update expressions the ops code writes. */
function applyUpdate(expression: string, item: Item, context: Names): Item {
  const updated = { ...item };
  const clauses = expression.split(/\b(SET|REMOVE)\b/i).map((part) => part.trim()).filter(Boolean);
  for (let i = 0; i < clauses.length; i += 2) {
    const keyword = clauses[i]?.toUpperCase();
    const body = clauses[i + 1] ?? '';
    for (const assignment of body.split(',').map((part) => part.trim())) {
      if (keyword === 'REMOVE') {
        delete updated[attributeName(assignment, context)];
        continue;
      }
      const [path, value] = assignment.split('=').map((part) => part.trim());
      if (keyword !== 'SET' || !path || !value?.startsWith(':')) throw new ExpressionError(`Unsupported UpdateExpression clause "${assignment}"`);
      const attribute = context.values?.[value];
      if (!attribute) throw new ExpressionError(`An expression attribute value used in expression is not defined: ${value}`);
      updated[attributeName(path, context)] = attribute;
    }
  }
  return updated;
}

export interface ConditionalTablesOptions {
  /** Tables that exist, by name, and the attribute each is keyed by. */
  readonly tables: Readonly<Record<string, string>>;
}

export class ConditionalTables {
  /** Items by table, by key value. */
  readonly items = new Map<string, Map<string, Item>>();

  constructor(
    account: SimulatedAccount,
    private readonly options: ConditionalTablesOptions,
  ) {
    for (const table of Object.keys(options.tables)) this.items.set(table, new Map());
    const stub = account.mock(DynamoDBClient);
    stub.on(PutItemCommand).callsFake(async (input: PutItemCommandInput) => this.put(input));
    stub.on(DeleteItemCommand).callsFake(async (input: DeleteItemCommandInput) => this.delete(input));
    stub.on(GetItemCommand).callsFake(async (input: GetItemCommandInput) => this.get(input));
    stub.on(UpdateItemCommand).callsFake(async (input: UpdateItemCommandInput) => this.update(input));
  }

  private table(name: string | undefined): { items: Map<string, Item>; key: string } {
    const items = name ? this.items.get(name) : undefined;
    const key = name ? this.options.tables[name] : undefined;
    if (!items || !key) throw new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: { httpStatusCode: 400 } });
    return { items, key };
  }

  private keyOf(key: string, item: Item | undefined): string {
    const value = item?.[key];
    const text = value?.S ?? value?.N;
    if (text === undefined) throw new ExpressionError(`One or more parameter values were invalid: Missing the key ${key} in the item`);
    return text;
  }

  private check(expression: string | undefined, stored: Item | undefined, context: Names, returnOld: string | undefined): void {
    if (!expression || evaluateCondition(expression, stored, context)) return;
    throw new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: { httpStatusCode: 400 },
      Item: returnOld === 'ALL_OLD' ? stored : undefined,
    });
  }

  private put(input: PutItemCommandInput) {
    const { items, key } = this.table(input.TableName);
    const id = this.keyOf(key, input.Item);
    this.check(input.ConditionExpression, items.get(id), { names: input.ExpressionAttributeNames, values: input.ExpressionAttributeValues }, input.ReturnValuesOnConditionCheckFailure);
    items.set(id, { ...(input.Item ?? {}) });
    return {};
  }

  private delete(input: DeleteItemCommandInput) {
    const { items, key } = this.table(input.TableName);
    const id = this.keyOf(key, input.Key);
    this.check(input.ConditionExpression, items.get(id), { names: input.ExpressionAttributeNames, values: input.ExpressionAttributeValues }, input.ReturnValuesOnConditionCheckFailure);
    items.delete(id);
    return {};
  }

  private get(input: GetItemCommandInput) {
    const { items, key } = this.table(input.TableName);
    const item = items.get(this.keyOf(key, input.Key));
    return item ? { Item: item } : {};
  }

  private update(input: UpdateItemCommandInput) {
    const { items, key } = this.table(input.TableName);
    const id = this.keyOf(key, input.Key);
    const context = { names: input.ExpressionAttributeNames, values: input.ExpressionAttributeValues };
    const stored = items.get(id);
    this.check(input.ConditionExpression, stored, context, input.ReturnValuesOnConditionCheckFailure);
    const updated = applyUpdate(input.UpdateExpression ?? '', { ...(stored ?? {}), ...(input.Key ?? {}) }, context);
    items.set(id, updated);
    return input.ReturnValues === 'ALL_NEW' ? { Attributes: updated } : {};
  }
}
