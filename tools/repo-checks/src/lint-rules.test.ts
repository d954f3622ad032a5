import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './workspaces.js';

// The repository's own config, with type information off: the probes are not files of any project,
// and the rules under test need none.
const eslint = new ESLint({ cwd: repoRoot, overrideConfig: [tseslint.configs.disableTypeChecked] });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${repoRoot}/${filePath}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint rules of the layering', () => {
  it('bans deep imports into another package', async () => {
    const msgs = await restrictedImports('packages/session/src/lint-probe.ts', "export { VimClient } from '@vmkit/vim/src/transport/client.js';\n");
    expect(msgs.join('\n')).toMatch(/public entry/);
  });

  it('bans imports of packages to the right', async () => {
    const msgs = await restrictedImports('packages/vim/src/lint-probe.ts', "export { VimSession } from '@vmkit/session';\n");
    expect(msgs.join('\n')).toMatch(/Layering is one-way/);
  });

  it('allows imports of packages to the left through their entry', async () => {
    expect(await restrictedImports('packages/session/src/lint-probe.ts', "export { VimClient } from '@vmkit/vim';\n")).toEqual([]);
  });
});
