import { parseArrayLiteral, type ArrayLiteral } from './array-literal.js';

describe('parseArrayLiteral', () => {
  it.each<[string, ArrayLiteral | null]>([
    ['{}', []],
    ['{{}}', [[]]],
    ['{a}', ['a']],
    ['{a,b,c}', ['a', 'b', 'c']],
    ['{NULL,null,Null}', [null, null, null]],
    ['{"NULL"}', ['NULL']],
    ['{NULLX}', ['NULLX']],
    ['{"a,b","c}d","e{f"}', ['a,b', 'c}d', 'e{f']],
    ['{"x\\"y","back\\\\slash"}', ['x"y', 'back\\slash']],
    ['{""}', ['']],
    ['{ a , b }', ['a', 'b']],
    [
      '{{1,2},{3,4}}',
      [
        ['1', '2'],
        ['3', '4'],
      ],
    ],
    [
      '{{"a",NULL},{NULL,"b"}}',
      [
        ['a', null],
        [null, 'b'],
      ],
    ],
    ['[2:3]={x,y}', ['x', 'y']],
    [
      '[-1:0][1:2]={{a,b},{c,d}}',
      [
        ['a', 'b'],
        ['c', 'd'],
      ],
    ],
    ['{"ünïcødé","😀"}', ['ünïcødé', '😀']],
    ['', null],
    ['x', null],
    ['{a', null],
    ['{"a}', null],
    ['{a}}', null],
    ['{a}b', null],
    ['[1:2]{a,b}', null],
    ['{a;b}', ['a;b']],
  ])('%s', (text, expected) => {
    expect(parseArrayLiteral(text)).toStrictEqual(expected);
  });

  it('uses the element type delimiter', () => {
    expect(parseArrayLiteral('{(1,1),(0,0);(2,2),(1,1)}', ';')).toStrictEqual(['(1,1),(0,0)', '(2,2),(1,1)']);
  });
});
