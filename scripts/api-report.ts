import ts from 'typescript';
import { join } from 'node:path';
import { entries, type Entry } from './entries.js';

const FORMAT =
  ts.TypeFormatFlags.NoTruncation |
  ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType |
  ts.TypeFormatFlags.WriteArrowStyleSignature;

function isHidden(symbol: ts.Symbol): boolean {
  return (symbol.declarations ?? []).some((d) => {
    const flags = ts.getCombinedModifierFlags(d);
    const name = ts.getNameOfDeclaration(d);
    return (
      (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0 ||
      (name !== undefined && ts.isPrivateIdentifier(name))
    );
  });
}

function memberLines(checker: ts.TypeChecker, type: ts.Type, at: ts.Node, prefix = ''): string[] {
  const lines: string[] = [];
  for (const sig of type.getCallSignatures())
    lines.push(`  ${prefix}${checker.signatureToString(sig, at, FORMAT)}`);
  for (const info of checker.getIndexInfosOfType(type)) {
    lines.push(
      `  [key: ${checker.typeToString(info.keyType)}]: ${checker.typeToString(info.type, at, FORMAT)}`,
    );
  }
  for (const prop of type.getProperties()) {
    if (isHidden(prop) || prop.name === 'prototype' || !isOwn(prop)) continue;
    const decl = prop.valueDeclaration ?? prop.declarations?.[0] ?? at;
    const propType = checker.getTypeOfSymbolAtLocation(prop, decl);
    const readonly = isReadonly(decl) ? 'readonly ' : '';
    const optional = prop.flags & ts.SymbolFlags.Optional ? '?' : '';
    if (prop.flags & ts.SymbolFlags.Method) {
      for (const sig of propType.getCallSignatures()) {
        lines.push(
          `  ${prefix}${prop.name}${optional}${checker.signatureToString(sig, decl, FORMAT).replace(/ =>/, ':')}`,
        );
      }
    } else {
      lines.push(
        `  ${prefix}${readonly}${prop.name}${optional}: ${checker.typeToString(propType, decl, FORMAT)}`,
      );
    }
  }
  return lines;
}

/** Declared in this project, not inherited from the standard library (Error, AggregateError). */
function isOwn(symbol: ts.Symbol): boolean {
  return (symbol.declarations ?? []).some(
    (d) => !d.getSourceFile().fileName.includes('/node_modules/'),
  );
}

/** `<E extends ...>` as written on the declaration. */
function typeParameters(decl: ts.Node): string {
  const params = (decl as ts.InterfaceDeclaration).typeParameters;
  return params ? `<${params.map((p) => p.getText()).join(', ')}>` : '';
}

function isReadonly(decl: ts.Node): boolean {
  return (
    ts.canHaveModifiers(decl) &&
    (ts.getCombinedModifierFlags(decl as ts.Declaration) & ts.ModifierFlags.Readonly) !== 0
  );
}

function describe(checker: ts.TypeChecker, exported: ts.Symbol): string[] {
  const symbol =
    exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const at = symbol.declarations?.[0];
  if (!at) return [`unknown ${exported.name}`];
  const name = exported.name;
  const out: string[] = [];
  if (symbol.flags & ts.SymbolFlags.Class) {
    const statics = checker.getTypeOfSymbolAtLocation(symbol, at);
    const base = checker.getDeclaredTypeOfSymbol(symbol);
    const heritage = (base as ts.InterfaceType).isClassOrInterface?.()
      ? checker.getBaseTypes(base as ts.InterfaceType)
      : [];
    out.push(
      `class ${name}${typeParameters(at)}${heritage.length ? ` extends ${heritage.map((b) => checker.typeToString(b)).join(', ')}` : ''}`,
    );
    for (const sig of statics.getConstructSignatures()) {
      out.push(`  constructor${checker.signatureToString(sig, at, FORMAT).replace(/ => .*$/, '')}`);
    }
    out.push(
      ...memberLines(checker, statics, at, 'static ').filter(
        (l) => !l.includes('static prototype'),
      ),
    );
    out.push(...memberLines(checker, base, at));
  } else if (symbol.flags & ts.SymbolFlags.Interface) {
    out.push(
      `interface ${name}${typeParameters(at)}`,
      ...memberLines(checker, checker.getDeclaredTypeOfSymbol(symbol), at),
    );
  } else if (symbol.flags & ts.SymbolFlags.TypeAlias) {
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    out.push(
      `type ${name}${typeParameters(at)} = ${checker.typeToString(type, at, FORMAT | ts.TypeFormatFlags.InTypeAlias)}`,
    );
  } else if (symbol.flags & ts.SymbolFlags.Function) {
    for (const sig of checker.getTypeOfSymbolAtLocation(symbol, at).getCallSignatures()) {
      out.push(`function ${name}${checker.signatureToString(sig, at, FORMAT).replace(/ =>/, ':')}`);
    }
  } else if (symbol.flags & ts.SymbolFlags.Variable) {
    out.push(
      `const ${name}: ${checker.typeToString(checker.getTypeOfSymbolAtLocation(symbol, at), at, FORMAT)}`,
    );
  } else {
    out.push(`${ts.SymbolFlags[symbol.flags] ?? 'symbol'} ${name}`);
  }
  return out;
}

/** Every exported name of every entry point, with its public shape, as one text for review. */
export function apiReport(
  root: string,
  list: Entry[] = entries(root),
): { text: string; names: Map<string, string[]> } {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.build.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('tsconfig.build.json could not be read');
  const program = ts.createProgram(
    list.map((e) => join(root, e.source)),
    { ...config.options, noEmit: true },
  );
  const checker = program.getTypeChecker();
  const names = new Map<string, string[]>();
  const sections: string[] = [
    '# The public API of flavorkit',
    '',
    'Written by `npm run api`; checked by `npm test`.',
    '',
  ];
  for (const entry of list) {
    const file = program.getSourceFile(join(root, entry.source));
    const moduleSymbol = file && checker.getSymbolAtLocation(file);
    if (!moduleSymbol) throw new Error(`${entry.source} is not a module`);
    const exported = checker
      .getExportsOfModule(moduleSymbol)
      .sort((a, b) => a.name.localeCompare(b.name));
    sections.push(`## ${entry.specifier}`, '', '```ts');
    for (const symbol of exported) {
      sections.push(...describe(checker, symbol));
      names.set(symbol.name, [...(names.get(symbol.name) ?? []), entry.specifier]);
    }
    sections.push('```', '');
  }
  // types from other modules print as import("<absolute path>"): keep the report free of the checkout's place
  return {
    text: sections.join('\n').replaceAll(root.endsWith('/') ? root : `${root}/`, ''),
    names,
  };
}

/** Names exported by more than one entry point, each with those entries: a name has one import path. */
export function sharedNames(names: Map<string, string[]>): string[] {
  return [...names]
    .filter(([, specifiers]) => specifiers.length > 1)
    .map(([name, specifiers]) => `${name}: ${specifiers.join(', ')}`);
}
