import { randomBytes } from 'node:crypto';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Makes the file `target` all at once: `write` fills a temporary file in the same folder (named
 * `.<target's name>.<random>.<tag>`), which takes `target`'s name only once `write` resolved. If
 * `write` or the rename fails, the temporary file is removed and `target` stays as it was (absent or
 * with its old content): there is never a partly written file under its name.
 */
export async function replaceFile<T>(target: string, tag: string, write: (temporary: string) => Promise<T>): Promise<T> {
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.${tag}`);
  try {
    const result = await write(temporary);
    await rename(temporary, target);
    return result;
  } catch (err) {
    await unlink(temporary).catch(() => undefined);
    throw err;
  }
}
