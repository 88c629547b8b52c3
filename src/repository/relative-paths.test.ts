import { describe, expect, it } from 'vitest';
import { repositoryRelative } from './relative-paths.ts';

describe('failure reasons relative to the repository', () => {
  const roots = ['/srv/models', '/private/srv/models'];

  it('names files under the repository relative to it, and the repository itself as .', () => {
    expect(repositoryRelative('Load model from /srv/models/churn/2/model.onnx failed', roots)).toBe('Load model from churn/2/model.onnx failed');
    expect(repositoryRelative('allowed directory: "/private/srv/models/churn/2"', roots)).toBe('allowed directory: "churn/2"');
    expect(repositoryRelative("model repository '/srv/models' is empty", roots)).toBe("model repository '.' is empty");
  });

  it('names files under an allowed path by that path, and keeps only the last segment of any other absolute path', () => {
    expect(repositoryRelative('cannot read /mnt/volume/churn/1/model.json', roots, ['/mnt/volume'])).toBe('cannot read [allowed_paths]/churn/1/model.json');
    expect(repositoryRelative('resolved path: "/home/alice/secret.bin" outside', roots)).toBe('resolved path: "…/secret.bin" outside');
    expect(repositoryRelative('failed:/onnxruntime_src/core/graph/model.cc:202 oops', roots)).toBe('failed:…/model.cc:202 oops');
  });

  it('leaves relative paths, URLs and fractions alone', () => {
    for (const text of ['churn/2/model.onnx', 'see http://127.0.0.1:9000/models/x', 'ratio 3/4 and inputs/outputs']) {
      expect(repositoryRelative(text, roots)).toBe(text);
    }
  });

  it('does not take a longer sibling folder for the repository', () => {
    expect(repositoryRelative('/srv/models-old/a/model.onnx', roots)).toBe('…/model.onnx');
  });

  it('takes the longest prefix first, whatever order the roots come in', () => {
    expect(repositoryRelative('cannot read /a/b/c/x.onnx', ['/a', '/a/b'])).toBe('cannot read c/x.onnx');
    expect(repositoryRelative('cannot read /mnt/models/c/x.onnx', [], ['/mnt', '/mnt/models'])).toBe('cannot read [allowed_paths]/c/x.onnx');
  });

  it('names every bare mention of the repository or an allowed path, with or without a trailing slash', () => {
    expect(repositoryRelative("'/srv/models' and '/srv/models'", ['/srv/models/'])).toBe("'.' and '.'");
    expect(repositoryRelative('allowed: /mnt/volume and /mnt/volume', roots, ['/mnt/volume'])).toBe('allowed: [allowed_paths] and [allowed_paths]');
  });

  it('matches a repository path that holds regular expression characters literally', () => {
    expect(repositoryRelative("model repository '/srv/models.v1+' is empty", ['/srv/models.v1+'])).toBe("model repository '.' is empty");
  });

  it('never takes the file system root for the repository, and hides a path of one segment', () => {
    expect(repositoryRelative('cannot read /etc/passwd', ['/'])).toBe('cannot read …/passwd');
    expect(repositoryRelative('open /secret failed', roots)).toBe('open …/secret failed');
  });
});
