import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { legacyPaths } from '@vmkit/legacy';
import ts from 'typescript';
import { expect, it } from 'vitest';

// Editors strike through a deprecated name because TypeScript reports it (suggestion 6385, "'X' is
// deprecated"). Ask TypeScript itself, through its language service, about every legacy name as a
// consumer imports it from the built package.

const srcDir = dirname(fileURLToPath(import.meta.url));
const configPath = join(srcDir, '..', 'tsconfig.json');

it('TypeScript reports every legacy name as deprecated where a consumer imports it', () => {
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (parsed === undefined) throw new Error(`cannot read ${configPath}`);
  const probes = new Map<string, { path: string; names: string[]; text: string }>();
  legacyPaths.forEach((p, i) => {
    const names = Object.keys(p.names);
    if (names.length === 0) return;
    const text = `import { ${names.join(', ')} } from '@vmkit/legacy/${p.path}';\nexport const used = [${names.join(', ')}];\n`;
    probes.set(join(srcDir, `__deprecation_probe_${i}.ts`), { path: p.path, names, text });
  });
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => [...probes.keys()],
    getScriptVersion: () => '1',
    getScriptSnapshot: (f) => {
      const text = probes.get(f)?.text ?? ts.sys.readFile(f);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => srcDir,
    getCompilationSettings: () => parsed.options,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: (f) => probes.has(f) || ts.sys.fileExists(f),
    readFile: (f) => probes.get(f)?.text ?? ts.sys.readFile(f),
    readDirectory: ts.sys.readDirectory.bind(ts.sys),
    directoryExists: ts.sys.directoryExists.bind(ts.sys),
    getDirectories: ts.sys.getDirectories.bind(ts.sys),
  };
  const service = ts.createLanguageService(host);
  for (const [file, probe] of probes) {
    expect(service.getSemanticDiagnostics(file).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')), probe.path).toEqual([]);
    const deprecated = new Set(
      service
        .getSuggestionDiagnostics(file)
        .filter((d) => d.code === 6385)
        .map((d) => probe.text.slice(d.start, (d.start ?? 0) + (d.length ?? 0))),
    );
    expect(probe.names.filter((n) => !deprecated.has(n)), `names of ${probe.path} not reported deprecated`).toEqual([]);
  }
  service.dispose();
}, 120_000);
