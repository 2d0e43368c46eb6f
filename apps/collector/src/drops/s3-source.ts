// The S3 drop source: AWS SDK for JavaScript v3, against AWS or any S3-compatible endpoint
// (custom endpoint, path-style addressing). Loaded on demand by share/routes.ts.
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { DropObject, DropSource } from './sources.ts';

export interface S3SourceOptions {
  bucket: string;
  /** Key prefix of the drop area in the bucket ('' or ending in '/'). */
  prefix: string;
  region: string;
  endpoint?: string | undefined;
  forcePathStyle: boolean;
  /** Credentials; default: the AWS SDK's provider chain (AWS_ACCESS_KEY_ID, profiles, roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export class S3Source implements DropSource {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly options: S3SourceOptions) {
    this.prefix = options.prefix && !options.prefix.endsWith('/') ? `${options.prefix}/` : options.prefix;
    this.client = new S3Client({
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      ...(options.endpoint && { endpoint: options.endpoint }),
      ...(options.credentials && { credentials: options.credentials }),
      maxAttempts: 2,
      // Checksums only where S3 requires them: the SDK's default (CRC32 trailers on aws-chunked
      // uploads) is not understood by many S3-compatible servers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async *list(): AsyncIterable<DropObject> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: this.prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (!o.Key || !o.ETag) continue;
        yield { key: o.Key.slice(this.prefix.length), etag: o.ETag, size: o.Size ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async read(object: DropObject): Promise<AsyncIterable<Buffer>> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + object.key, IfMatch: object.etag }));
    return out.Body as Readable;
  }

  async writeText(key: string, text: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key, Body: text, ContentType: 'application/json' }));
  }

  async move(from: string, to: string): Promise<void> {
    const bucket = this.options.bucket;
    const source = `${bucket}/${(this.prefix + from).split('/').map(encodeURIComponent).join('/')}`;
    await this.client.send(new CopyObjectCommand({ Bucket: bucket, Key: this.prefix + to, CopySource: source }));
    await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: this.prefix + from }));
  }

  close(): void {
    this.client.destroy();
  }
}
