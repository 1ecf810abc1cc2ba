import { ValidationError } from '#core/errors/api-errors.js';
import { ApiValidationPipe } from '../common/validation/api-validation.pipe.js';
import { CreateRedisStreamDestinationDto } from './dto/destination.dto.js';
import { CreateSinkDto, PatchSinkDto } from './dto/sink-input.dto.js';

const pipe = new ApiValidationPipe();

async function validate(
  body: Record<string, unknown>,
  metatype: new () => object = CreateSinkDto,
): Promise<ValidationError | object> {
  try {
    return (await pipe.transform(body, { type: 'body', metatype })) as object;
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
}

const valid = {
  name: 'orders',
  database: 'db',
  destination: { type: 'redis_stream', host: 'localhost', stream_key: 'orders' },
};

describe('sink request validation (the global pipe)', () => {
  it('picks the destination class by type', async () => {
    const dto = (await validate(valid)) as CreateSinkDto;
    expect(dto.destination).toBeInstanceOf(CreateRedisStreamDestinationDto);
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    [
      'an unknown type',
      { destination: { type: 'kafka', host: 'x' } },
      { destination: { type: [expect.stringContaining('redis_stream')] } },
    ],
    ['a missing type', { destination: { host: 'x' } }, { destination: { type: [expect.any(String)] } }],
    ['a destination that is not an object', { destination: 'redis' }, { destination: [expect.any(String)] }],
    [
      'an unknown destination field',
      { destination: { ...valid.destination, hots: 'x' } },
      { destination: { hots: ['unknown field'] } },
    ],
    [
      'a field of another destination type',
      { destination: { ...valid.destination, expire_ms: 5 } },
      { destination: { expire_ms: ['unknown field'] } },
    ],
    ['an unknown top-level field', { colour: 'blue' }, { colour: ['unknown field'] }],
    ['batch_size 0', { batch_size: 0 }, { batch_size: [expect.any(String)] }],
    ['batch_size null', { batch_size: null }, { batch_size: [expect.any(String)] }],
    ['batch_size "5"', { batch_size: '5' }, { batch_size: [expect.any(String)] }],
    [
      'an empty stream_key',
      { destination: { ...valid.destination, stream_key: '' } },
      { destination: { stream_key: [expect.any(String)] } },
    ],
    ['a table that is not an object', { tables: ['orders'] }, { tables: expect.anything() }],
    ['an unknown source field', { source: { include: ['x'] } }, { source: { include: ['unknown field'] } }],
    [
      'an unknown field of a table',
      { tables: [{ name: 'orders', group_column_names: ['id'], extra: 1 }] },
      { tables: { '0': { extra: ['unknown field'] } } },
    ],
    ['duplicate actions', { actions: ['insert', 'insert'] }, { actions: ['must not contain duplicates'] }],
  ])('refuses %s with 422 naming the field', async (_case, patch, expected) => {
    const result = await validate({ ...valid, ...patch });
    expect(result).toBeInstanceOf(ValidationError);
    expect((result as ValidationError).validationErrors).toEqual(expected);
  });

  it('names an unknown nested field in the summary', async () => {
    const result = (await validate({ ...valid, destination: { ...valid.destination, hots: 'x' } })) as ValidationError;
    expect(result.summary).toBe('Unknown field: destination.hots');
  });

  it('lets a PATCH destination carry only type and the fields to change, and still checks them', async () => {
    expect(
      await validate({ destination: { type: 'redis_stream', password: 'secret' } }, PatchSinkDto),
    ).not.toBeInstanceOf(ValidationError);
    expect(await validate({ destination: { type: 'redis_stream', password: null } }, PatchSinkDto)).not.toBeInstanceOf(
      ValidationError,
    );
    const nullHost = (await validate(
      { destination: { type: 'redis_stream', host: null } },
      PatchSinkDto,
    )) as ValidationError;
    expect(nullHost.validationErrors).toEqual({ destination: { host: [expect.any(String)] } });
    const noType = (await validate({ destination: { password: 'x' } }, PatchSinkDto)) as ValidationError;
    expect(noType.validationErrors).toEqual({ destination: { type: [expect.any(String)] } });
  });
});
