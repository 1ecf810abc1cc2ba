// ts-jest loads AST transformers as { name, version, factory }; @nestjs/swagger exports `before`.
// Same plugin and options as nest-cli.json, so tests see the OpenAPI metadata the build produces.
const plugin = require('@nestjs/swagger/plugin');
const nestCli = require('../../nest-cli.json');

const options = nestCli.compilerOptions.plugins.find((p) => p.name === '@nestjs/swagger').options;

// ts-jest's language service makes a new Program as it compiles more files, but the plugin keeps the
// one it is given: it gets a stand-in that always answers from the language service's current Program
// (else types declared in files compiled later, such as a controller's response DTO, resolve to Object).
const currentProgram = (tsCompiler) =>
  new Proxy(
    {},
    {
      get(_target, property) {
        const program = tsCompiler._languageService?.getProgram() ?? tsCompiler.program;
        const value = program[property];
        return typeof value === 'function' ? value.bind(program) : value;
      },
    },
  );

module.exports = {
  name: 'nestjs-swagger-transformer',
  version: 2,
  factory: (tsCompiler) => plugin.before(options, currentProgram(tsCompiler)),
};
