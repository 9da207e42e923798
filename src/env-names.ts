/**
 * Variables env-name may not be: those the runner owns, and those a common tool runs, loads or
 * trusts from later steps' environment (a command line, a library, a config file, a certificate
 * store, a proxy). A token there would break those steps, or turn into a command they run. The
 * README's Security section lists the same names and prefixes; __tests__/inputs.test.ts holds the
 * two together. Compared without case: Windows treats variable names case-insensitively.
 */
const NAMES = [
  // The runner and CI
  'CI',
  // The shell and the system (POSIX, bash, zsh)
  ...['PATH', 'HOME', 'SHELL', 'ENV', 'BASH_ENV', 'SHELLOPTS', 'BASHOPTS', 'IFS', 'CDPATH'],
  ...['PS1', 'PS2', 'PS4', 'PROMPT_COMMAND', 'GLOBIGNORE', 'ZDOTDIR', 'INPUTRC', 'TERMINFO'],
  ...['TMPDIR', 'TMP', 'TEMP', 'USER', 'LOGNAME', 'PWD', 'OLDPWD'],
  // Programs other programs start
  ...['EDITOR', 'VISUAL', 'PAGER', 'MANPAGER', 'LESSOPEN', 'LESSCLOSE', 'BROWSER', 'SUDO_ASKPASS'],
  // Build tools and compilers
  ...['CC', 'CXX', 'CPP', 'LD', 'AR', 'CFLAGS', 'CXXFLAGS', 'CPPFLAGS', 'LDFLAGS', 'MAKEFLAGS'],
  ...['MAKE', 'PKG_CONFIG_PATH', 'KUBECONFIG', 'GNUPGHOME'],
  // Python
  ...['VIRTUAL_ENV'],
  // Java and its build tools
  ...['JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'JAVA_OPTS', 'JAVA_HOME'],
  ...['CLASSPATH', 'MAVEN_OPTS', 'MAVEN_ARGS', 'GRADLE_OPTS', 'GRADLE_USER_HOME', 'ANT_OPTS'],
  ...['SBT_OPTS'],
  // Go
  ...['GOFLAGS', 'GOROOT', 'GOPATH', 'GOPROXY', 'GOTOOLCHAIN', 'GOENV', 'GOBIN'],
  // Certificates trusted by curl and Python's requests
  ...['REQUESTS_CA_BUNDLE'],
  // Proxies: a token there sends every later request to a "proxy" named by the token
  ...['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'FTP_PROXY'],
  // Windows
  ...['COMSPEC', 'PATHEXT', 'SYSTEMROOT', 'SYSTEMDRIVE', 'WINDIR', 'PSMODULEPATH', 'USERPROFILE'],
  ...['APPDATA', 'LOCALAPPDATA', 'PROGRAMDATA', 'PROGRAMFILES', '__COMPAT_LAYER'],
  ...['PSEXECUTIONPOLICYPREFERENCE']
];

const PREFIXES = [
  // The runner's own
  ...['GITHUB_', 'RUNNER_', 'ACTIONS_', 'INPUT_', 'STATE_'],
  // The dynamic linker (Linux, macOS) and bash's exported functions
  ...['LD_', 'DYLD_', 'BASH_FUNC_'],
  // git (GIT_SSH_COMMAND, GIT_ASKPASS, GIT_CONFIG_*, GIT_EXEC_PATH…) and ssh (SSH_ASKPASS…)
  ...['GIT_', 'SSH_'],
  // Node, npm and the other package managers of JavaScript, libuv
  ...['NODE_', 'NPM_CONFIG_', 'YARN_', 'PNPM_', 'COREPACK_', 'UV_'],
  // Python (PYTHONHOME, PYTHONPATH, PYTHONSTARTUP…) and pip, conda
  ...['PYTHON', 'PIP_', 'CONDA_'],
  // .NET (DOTNET_STARTUP_HOOKS…), its runtime's profiler and settings, MSBuild, NuGet
  ...['DOTNET_', 'CORECLR_', 'COMPLUS_', 'MSBUILD', 'NUGET_'],
  // Rust (RUSTC_WRAPPER, RUSTFLAGS, RUSTUP_…) and cargo
  ...['RUST', 'CARGO_'],
  // OpenSSL (OPENSSL_CONF, OPENSSL_MODULES), its certificate store (SSL_CERT_FILE), curl's
  ...['OPENSSL_', 'SSL_', 'CURL_'],
  // Ruby (RUBYOPT, RUBYLIB), its gems and bundler; Perl (PERL5OPT, PERL5LIB, PERLLIB…)
  ...['RUBY', 'GEM_', 'BUNDLE_', 'PERL'],
  // cgo, Docker, the XDG folders where tools find their configuration
  ...['CGO_', 'DOCKER_', 'XDG_']
];

const RESERVED_NAMES = new Set(NAMES);

/**
 * The entry that forbids `name` (any case) as env-name, in the list's spelling: a reserved name, or
 * a reserved prefix `name` starts with. Undefined when `name` is allowed.
 */
export function reservedEnvRule(name: string): { entry: string; prefix: boolean } | undefined {
  const upper = name.toUpperCase();
  if (RESERVED_NAMES.has(upper)) return { entry: upper, prefix: false };
  const prefix = PREFIXES.find(candidate => upper.startsWith(candidate));
  return prefix === undefined ? undefined : { entry: prefix, prefix: true };
}

/** The lists themselves, for the README's check. */
export const RESERVED_ENV = { names: NAMES, prefixes: PREFIXES } as const;
