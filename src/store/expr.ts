import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * Collects the attribute names and values of one request's expressions, so that every clause is
 * written with placeholders (`#version`, `:v0`) and never collides with DynamoDB's reserved words.
 */
export class Expr {
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, AttributeValue> = {};
  private valueCount = 0;
  private nameCount = 0;
  private readonly placeholders = new Map<string, string>();

  /** Placeholder for an attribute name (or a map key such as an instance id). */
  name(attribute: string): string {
    const known = this.placeholders.get(attribute);
    if (known) return known;
    // Plain names keep a readable placeholder; anything else (map keys with dots or dashes) gets #_N,
    // which no plain name can collide with.
    const placeholder = /^[A-Za-z][A-Za-z0-9_]*$/.test(attribute) ? `#${attribute}` : `#_${this.nameCount++}`;
    this.placeholders.set(attribute, placeholder);
    this.names[placeholder] = attribute;
    return placeholder;
  }

  /** Placeholder for a value. */
  value(value: AttributeValue): string {
    const placeholder = `:v${this.valueCount++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** The names and values for the request (omitted when empty: DynamoDB rejects empty maps). */
  attributes(): {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, AttributeValue>;
  } {
    return {
      ...(Object.keys(this.names).length > 0 ? { ExpressionAttributeNames: this.names } : {}),
      ...(Object.keys(this.values).length > 0 ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

/** Builds `SET a = :x, b = :y REMOVE c ADD d :z DELETE e :w` from its parts. */
export class UpdateBuilder {
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];
  private readonly adds: string[] = [];
  private readonly deletes: string[] = [];
  constructor(readonly expr: Expr) {}

  set(attribute: string, value: AttributeValue): this {
    this.sets.push(`${this.expr.name(attribute)} = ${this.expr.value(value)}`);
    return this;
  }
  /** `SET attribute = attribute + 1`, for counters that exist on every record. */
  increment(attribute: string): this {
    const name = this.expr.name(attribute);
    this.sets.push(`${name} = ${name} + ${this.expr.value(num(1))}`);
    return this;
  }
  /** Sets one key of a map attribute, leaving the other keys alone. */
  setMapKey(attribute: string, mapKey: string, value: AttributeValue): this {
    this.sets.push(`${this.expr.name(attribute)}.${this.expr.name(mapKey)} = ${this.expr.value(value)}`);
    return this;
  }
  /** Removes one key of a map attribute, leaving the other keys alone. */
  removeMapKey(attribute: string, mapKey: string): this {
    this.removes.push(`${this.expr.name(attribute)}.${this.expr.name(mapKey)}`);
    return this;
  }
  remove(attribute: string): this {
    this.removes.push(this.expr.name(attribute));
    return this;
  }
  /** Adds members to a string set (created when absent). */
  addToSet(attribute: string, members: readonly string[]): this {
    this.adds.push(`${this.expr.name(attribute)} ${this.expr.value({ SS: [...members] })}`);
    return this;
  }
  /** Removes members from a string set (DynamoDB drops the attribute when it becomes empty). */
  deleteFromSet(attribute: string, members: readonly string[]): this {
    this.deletes.push(`${this.expr.name(attribute)} ${this.expr.value({ SS: [...members] })}`);
    return this;
  }

  toString(): string {
    const parts: string[] = [];
    if (this.sets.length > 0) parts.push(`SET ${this.sets.join(', ')}`);
    if (this.removes.length > 0) parts.push(`REMOVE ${this.removes.join(', ')}`);
    if (this.adds.length > 0) parts.push(`ADD ${this.adds.join(', ')}`);
    if (this.deletes.length > 0) parts.push(`DELETE ${this.deletes.join(', ')}`);
    return parts.join(' ');
  }
}

export function str(value: string): AttributeValue {
  return { S: value };
}

export function num(value: number): AttributeValue {
  return { N: String(value) };
}

/** Joins named clauses with AND, each parenthesised so that an OR inside one stays inside it. */
export function all(...clauses: readonly string[]): string {
  return clauses.map((c) => `(${c})`).join(' AND ');
}
