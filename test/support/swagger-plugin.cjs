// ts-jest loads AST transformers as { name, version, factory }; @nestjs/swagger exports `before`.
// Same plugin and options as nest-cli.json, so tests see the OpenAPI metadata the build produces.
const plugin = require('@nestjs/swagger/plugin');
const nestCli = require('../../nest-cli.json');

const options = nestCli.compilerOptions.plugins.find((p) => p.name === '@nestjs/swagger').options;

module.exports = {
  name: 'nestjs-swagger-transformer',
  version: 1,
  factory: (tsCompiler) => plugin.before(options, tsCompiler.program),
};
