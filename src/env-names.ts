/**
 * Variables env-name may not be: those the runner owns, and those that change what a later step's
 * shell, C library, compiler, build tool, language runtime or cloud client runs, loads, trusts or
 * connects to (a command line, a library, a config file, a certificate store, a proxy, a locale).
 * A token there would break those steps, or turn into a command they run. SECURITY.md lists the
 * same names and prefixes; __tests__/inputs.test.ts holds the two together. Compared without
 * case: Windows treats variable names case-insensitively.
 */
const NAMES = [
  // The runner and CI
  'CI',
  // The shell and the system (POSIX, bash, zsh); bash's own are under the BASH_ prefix
  ...['PATH', 'HOME', 'SHELL', 'ENV', 'SHELLOPTS', 'BASHOPTS', 'IFS', 'CDPATH', 'POSIXLY_CORRECT'],
  ...['PS0', 'PS1', 'PS2', 'PS3', 'PS4', 'PROMPT_COMMAND', 'HISTFILE', 'GLOBIGNORE', 'ZDOTDIR'],
  ...['INPUTRC', 'TERM', 'TERMINFO', 'TMPDIR', 'TMP', 'TEMP', 'USER', 'LOGNAME', 'PWD', 'OLDPWD'],
  // The C library: locale, time zone, character sets, its tunables; name resolution
  ...['LANG', 'LANGUAGE', 'TZ', 'TZDIR', 'GLIBC_TUNABLES', 'GCONV_PATH', 'LOCPATH', 'NLSPATH'],
  ...['HOSTALIASES', 'RES_OPTIONS', 'LOCALDOMAIN'],
  // Programs other programs start
  ...['EDITOR', 'VISUAL', 'PAGER', 'MANPAGER', 'LESSOPEN', 'LESSCLOSE', 'BROWSER', 'SUDO_ASKPASS'],
  // make's implicit variables that name programs or flags, and the compilers' search paths
  ...['CC', 'CXX', 'CPP', 'AS', 'LD', 'AR', 'RM', 'FC', 'YACC', 'LEX', 'MAKE', 'MAKEFLAGS'],
  ...['MFLAGS', 'CFLAGS', 'CXXFLAGS', 'CPPFLAGS', 'LDFLAGS', 'GCC_EXEC_PREFIX', 'COMPILER_PATH'],
  ...['LIBRARY_PATH', 'CPATH', 'C_INCLUDE_PATH', 'CPLUS_INCLUDE_PATH', 'PKG_CONFIG_PATH'],
  // Cloud and cluster clients' credentials and configuration, GnuPG's
  ...['KUBECONFIG', 'GNUPGHOME'],
  // Python
  ...['VIRTUAL_ENV'],
  // Java and its build tools
  ...['JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'JAVA_OPTS', 'JAVA_HOME'],
  ...['CLASSPATH', 'MAVEN_OPTS', 'MAVEN_ARGS', 'GRADLE_OPTS', 'GRADLE_USER_HOME', 'ANT_OPTS'],
  ...['SBT_OPTS'],
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
  // The dynamic linker (Linux, macOS); bash (BASH_ENV, BASH_COMPAT, exported BASH_FUNC_s)
  ...['LD_', 'DYLD_', 'BASH_'],
  // The C library's locale categories (LC_ALL…) and allocator (MALLOC_CHECK_, MALLOC_PERTURB_…)
  ...['LC_', 'MALLOC_'],
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
  // Go (GOFLAGS, GOPROXY, GOWORK, GOOS, GOTOOLCHAIN…; GOOGLE_APPLICATION_CREDENTIALS falls here too)
  ...['GO'],
  // OpenSSL (OPENSSL_CONF, OPENSSL_MODULES), its certificate store (SSL_CERT_FILE), curl's
  ...['OPENSSL_', 'SSL_', 'CURL_'],
  // Ruby (RUBYOPT, RUBYLIB), its gems and bundler; Perl (PERL5OPT, PERL5LIB, PERLLIB…); Lua's paths
  ...['RUBY', 'GEM_', 'BUNDLE_', 'PERL', 'LUA_'],
  // Cloud clients: AWS, Azure, Google Cloud's SDK; cgo, Docker, the XDG configuration folders
  ...['AWS_', 'AZURE_', 'CLOUDSDK_', 'CGO_', 'DOCKER_', 'XDG_']
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

/** The lists themselves, for SECURITY.md's check. */
export const RESERVED_ENV = { names: NAMES, prefixes: PREFIXES } as const;
