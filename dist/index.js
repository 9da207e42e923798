/******/ (() => { // webpackBootstrap
/******/ 	var __webpack_modules__ = ({

/***/ 770:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

module.exports = __nccwpck_require__(218);


/***/ }),

/***/ 218:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {

"use strict";


var net = __nccwpck_require__(278);
var tls = __nccwpck_require__(756);
var http = __nccwpck_require__(611);
var https = __nccwpck_require__(692);
var events = __nccwpck_require__(434);
var assert = __nccwpck_require__(613);
var util = __nccwpck_require__(23);


exports.httpOverHttp = httpOverHttp;
exports.httpsOverHttp = httpsOverHttp;
exports.httpOverHttps = httpOverHttps;
exports.httpsOverHttps = httpsOverHttps;


function httpOverHttp(options) {
  var agent = new TunnelingAgent(options);
  agent.request = http.request;
  return agent;
}

function httpsOverHttp(options) {
  var agent = new TunnelingAgent(options);
  agent.request = http.request;
  agent.createSocket = createSecureSocket;
  agent.defaultPort = 443;
  return agent;
}

function httpOverHttps(options) {
  var agent = new TunnelingAgent(options);
  agent.request = https.request;
  return agent;
}

function httpsOverHttps(options) {
  var agent = new TunnelingAgent(options);
  agent.request = https.request;
  agent.createSocket = createSecureSocket;
  agent.defaultPort = 443;
  return agent;
}


function TunnelingAgent(options) {
  var self = this;
  self.options = options || {};
  self.proxyOptions = self.options.proxy || {};
  self.maxSockets = self.options.maxSockets || http.Agent.defaultMaxSockets;
  self.requests = [];
  self.sockets = [];

  self.on('free', function onFree(socket, host, port, localAddress) {
    var options = toOptions(host, port, localAddress);
    for (var i = 0, len = self.requests.length; i < len; ++i) {
      var pending = self.requests[i];
      if (pending.host === options.host && pending.port === options.port) {
        // Detect the request to connect same origin server,
        // reuse the connection.
        self.requests.splice(i, 1);
        pending.request.onSocket(socket);
        return;
      }
    }
    socket.destroy();
    self.removeSocket(socket);
  });
}
util.inherits(TunnelingAgent, events.EventEmitter);

TunnelingAgent.prototype.addRequest = function addRequest(req, host, port, localAddress) {
  var self = this;
  var options = mergeOptions({request: req}, self.options, toOptions(host, port, localAddress));

  if (self.sockets.length >= this.maxSockets) {
    // We are over limit so we'll add it to the queue.
    self.requests.push(options);
    return;
  }

  // If we are under maxSockets create a new one.
  self.createSocket(options, function(socket) {
    socket.on('free', onFree);
    socket.on('close', onCloseOrRemove);
    socket.on('agentRemove', onCloseOrRemove);
    req.onSocket(socket);

    function onFree() {
      self.emit('free', socket, options);
    }

    function onCloseOrRemove(err) {
      self.removeSocket(socket);
      socket.removeListener('free', onFree);
      socket.removeListener('close', onCloseOrRemove);
      socket.removeListener('agentRemove', onCloseOrRemove);
    }
  });
};

TunnelingAgent.prototype.createSocket = function createSocket(options, cb) {
  var self = this;
  var placeholder = {};
  self.sockets.push(placeholder);

  var connectOptions = mergeOptions({}, self.proxyOptions, {
    method: 'CONNECT',
    path: options.host + ':' + options.port,
    agent: false,
    headers: {
      host: options.host + ':' + options.port
    }
  });
  if (options.localAddress) {
    connectOptions.localAddress = options.localAddress;
  }
  if (connectOptions.proxyAuth) {
    connectOptions.headers = connectOptions.headers || {};
    connectOptions.headers['Proxy-Authorization'] = 'Basic ' +
        new Buffer(connectOptions.proxyAuth).toString('base64');
  }

  debug('making CONNECT request');
  var connectReq = self.request(connectOptions);
  connectReq.useChunkedEncodingByDefault = false; // for v0.6
  connectReq.once('response', onResponse); // for v0.6
  connectReq.once('upgrade', onUpgrade);   // for v0.6
  connectReq.once('connect', onConnect);   // for v0.7 or later
  connectReq.once('error', onError);
  connectReq.end();

  function onResponse(res) {
    // Very hacky. This is necessary to avoid http-parser leaks.
    res.upgrade = true;
  }

  function onUpgrade(res, socket, head) {
    // Hacky.
    process.nextTick(function() {
      onConnect(res, socket, head);
    });
  }

  function onConnect(res, socket, head) {
    connectReq.removeAllListeners();
    socket.removeAllListeners();

    if (res.statusCode !== 200) {
      debug('tunneling socket could not be established, statusCode=%d',
        res.statusCode);
      socket.destroy();
      var error = new Error('tunneling socket could not be established, ' +
        'statusCode=' + res.statusCode);
      error.code = 'ECONNRESET';
      options.request.emit('error', error);
      self.removeSocket(placeholder);
      return;
    }
    if (head.length > 0) {
      debug('got illegal response body from proxy');
      socket.destroy();
      var error = new Error('got illegal response body from proxy');
      error.code = 'ECONNRESET';
      options.request.emit('error', error);
      self.removeSocket(placeholder);
      return;
    }
    debug('tunneling connection has established');
    self.sockets[self.sockets.indexOf(placeholder)] = socket;
    return cb(socket);
  }

  function onError(cause) {
    connectReq.removeAllListeners();

    debug('tunneling socket could not be established, cause=%s\n',
          cause.message, cause.stack);
    var error = new Error('tunneling socket could not be established, ' +
                          'cause=' + cause.message);
    error.code = 'ECONNRESET';
    options.request.emit('error', error);
    self.removeSocket(placeholder);
  }
};

TunnelingAgent.prototype.removeSocket = function removeSocket(socket) {
  var pos = this.sockets.indexOf(socket)
  if (pos === -1) {
    return;
  }
  this.sockets.splice(pos, 1);

  var pending = this.requests.shift();
  if (pending) {
    // If we have pending requests and a socket gets closed a new one
    // needs to be created to take over in the pool for the one that closed.
    this.createSocket(pending, function(socket) {
      pending.request.onSocket(socket);
    });
  }
};

function createSecureSocket(options, cb) {
  var self = this;
  TunnelingAgent.prototype.createSocket.call(self, options, function(socket) {
    var hostHeader = options.request.getHeader('host');
    var tlsOptions = mergeOptions({}, self.options, {
      socket: socket,
      servername: hostHeader ? hostHeader.replace(/:.*$/, '') : options.host
    });

    // 0 is dummy port for v0.6
    var secureSocket = tls.connect(0, tlsOptions);
    self.sockets[self.sockets.indexOf(socket)] = secureSocket;
    cb(secureSocket);
  });
}


function toOptions(host, port, localAddress) {
  if (typeof host === 'string') { // since v0.10
    return {
      host: host,
      port: port,
      localAddress: localAddress
    };
  }
  return host; // for v0.11 or later
}

function mergeOptions(target) {
  for (var i = 1, len = arguments.length; i < len; ++i) {
    var overrides = arguments[i];
    if (typeof overrides === 'object') {
      var keys = Object.keys(overrides);
      for (var j = 0, keyLen = keys.length; j < keyLen; ++j) {
        var k = keys[j];
        if (overrides[k] !== undefined) {
          target[k] = overrides[k];
        }
      }
    }
  }
  return target;
}


var debug;
if (process.env.NODE_DEBUG && /\btunnel\b/.test(process.env.NODE_DEBUG)) {
  debug = function() {
    var args = Array.prototype.slice.call(arguments);
    if (typeof args[0] === 'string') {
      args[0] = 'TUNNEL: ' + args[0];
    } else {
      args.unshift('TUNNEL:');
    }
    console.error.apply(console, args);
  }
} else {
  debug = function() {};
}
exports.debug = debug; // for test


/***/ }),

/***/ 407:
/***/ ((module, __webpack_exports__, __nccwpck_require__) => {

"use strict";
__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
__nccwpck_require__.r(__webpack_exports__);
/* harmony import */ var _main_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(233);

await (0,_main_js__WEBPACK_IMPORTED_MODULE_0__/* .run */ .e)();

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 233:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

"use strict";

// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  e: () => (/* binding */ run)
});

// UNUSED EXPORTS: main

// NAMESPACE OBJECT: ./node_modules/@actions/core/lib/platform.js
var platform_namespaceObject = {};
__nccwpck_require__.r(platform_namespaceObject);
__nccwpck_require__.d(platform_namespaceObject, {
  arch: () => (arch),
  getDetails: () => (getDetails),
  isLinux: () => (isLinux),
  isMacOS: () => (isMacOS),
  isWindows: () => (isWindows),
  platform: () => (platform)
});

// NAMESPACE OBJECT: ./node_modules/@actions/core/lib/core.js
var core_namespaceObject = {};
__nccwpck_require__.r(core_namespaceObject);
__nccwpck_require__.d(core_namespaceObject, {
  ExitCode: () => (ExitCode),
  addPath: () => (addPath),
  debug: () => (debug),
  endGroup: () => (endGroup),
  error: () => (error),
  exportVariable: () => (exportVariable),
  getBooleanInput: () => (getBooleanInput),
  getIDToken: () => (getIDToken),
  getInput: () => (getInput),
  getMultilineInput: () => (getMultilineInput),
  getState: () => (getState),
  group: () => (group),
  info: () => (info),
  isDebug: () => (isDebug),
  markdownSummary: () => (markdownSummary),
  notice: () => (notice),
  platform: () => (platform_namespaceObject),
  saveState: () => (saveState),
  setCommandEcho: () => (setCommandEcho),
  setFailed: () => (setFailed),
  setOutput: () => (setOutput),
  setSecret: () => (setSecret),
  startGroup: () => (startGroup),
  summary: () => (summary),
  toPlatformPath: () => (toPlatformPath),
  toPosixPath: () => (toPosixPath),
  toWin32Path: () => (toWin32Path),
  warning: () => (warning)
});

;// CONCATENATED MODULE: external "os"
const external_os_namespaceObject = require("os");
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/utils.js
// We use any as a valid input type
/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Sanitizes an input into a string so it can be passed into issueCommand safely
 * @param input input to sanitize into a string
 */
function toCommandValue(input) {
    if (input === null || input === undefined) {
        return '';
    }
    else if (typeof input === 'string' || input instanceof String) {
        return input;
    }
    return JSON.stringify(input);
}
/**
 *
 * @param annotationProperties
 * @returns The command properties to send with the actual annotation command
 * See IssueCommandProperties: https://github.com/actions/runner/blob/main/src/Runner.Worker/ActionCommandManager.cs#L646
 */
function toCommandProperties(annotationProperties) {
    if (!Object.keys(annotationProperties).length) {
        return {};
    }
    return {
        title: annotationProperties.title,
        file: annotationProperties.file,
        line: annotationProperties.startLine,
        endLine: annotationProperties.endLine,
        col: annotationProperties.startColumn,
        endColumn: annotationProperties.endColumn
    };
}
//# sourceMappingURL=utils.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/command.js


/**
 * Issues a command to the GitHub Actions runner
 *
 * @param command - The command name to issue
 * @param properties - Additional properties for the command (key-value pairs)
 * @param message - The message to include with the command
 * @remarks
 * This function outputs a specially formatted string to stdout that the Actions
 * runner interprets as a command. These commands can control workflow behavior,
 * set outputs, create annotations, mask values, and more.
 *
 * Command Format:
 *   ::name key=value,key=value::message
 *
 * @example
 * ```typescript
 * // Issue a warning annotation
 * issueCommand('warning', {}, 'This is a warning message');
 * // Output: ::warning::This is a warning message
 *
 * // Set an environment variable
 * issueCommand('set-env', { name: 'MY_VAR' }, 'some value');
 * // Output: ::set-env name=MY_VAR::some value
 *
 * // Add a secret mask
 * issueCommand('add-mask', {}, 'secretValue123');
 * // Output: ::add-mask::secretValue123
 * ```
 *
 * @internal
 * This is an internal utility function that powers the public API functions
 * such as setSecret, warning, error, and exportVariable.
 */
function issueCommand(command, properties, message) {
    const cmd = new Command(command, properties, message);
    process.stdout.write(cmd.toString() + external_os_namespaceObject.EOL);
}
function issue(name, message = '') {
    issueCommand(name, {}, message);
}
const CMD_STRING = '::';
class Command {
    constructor(command, properties, message) {
        if (!command) {
            command = 'missing.command';
        }
        this.command = command;
        this.properties = properties;
        this.message = message;
    }
    toString() {
        let cmdStr = CMD_STRING + this.command;
        if (this.properties && Object.keys(this.properties).length > 0) {
            cmdStr += ' ';
            let first = true;
            for (const key in this.properties) {
                if (this.properties.hasOwnProperty(key)) {
                    const val = this.properties[key];
                    if (val) {
                        if (first) {
                            first = false;
                        }
                        else {
                            cmdStr += ',';
                        }
                        cmdStr += `${key}=${escapeProperty(val)}`;
                    }
                }
            }
        }
        cmdStr += `${CMD_STRING}${escapeData(this.message)}`;
        return cmdStr;
    }
}
function escapeData(s) {
    return toCommandValue(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A');
}
function escapeProperty(s) {
    return toCommandValue(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A')
        .replace(/:/g, '%3A')
        .replace(/,/g, '%2C');
}
//# sourceMappingURL=command.js.map
;// CONCATENATED MODULE: external "crypto"
const external_crypto_namespaceObject = require("crypto");
;// CONCATENATED MODULE: external "fs"
const external_fs_namespaceObject = require("fs");
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/file-command.js
// For internal use, subject to change.
// We use any as a valid input type
/* eslint-disable @typescript-eslint/no-explicit-any */




function issueFileCommand(command, message) {
    const filePath = process.env[`GITHUB_${command}`];
    if (!filePath) {
        throw new Error(`Unable to find environment variable for file command ${command}`);
    }
    if (!external_fs_namespaceObject.existsSync(filePath)) {
        throw new Error(`Missing file at path: ${filePath}`);
    }
    external_fs_namespaceObject.appendFileSync(filePath, `${toCommandValue(message)}${external_os_namespaceObject.EOL}`, {
        encoding: 'utf8'
    });
}
function prepareKeyValueMessage(key, value) {
    const delimiter = `ghadelimiter_${external_crypto_namespaceObject.randomUUID()}`;
    const convertedValue = toCommandValue(value);
    // These should realistically never happen, but just in case someone finds a
    // way to exploit uuid generation let's not allow keys or values that contain
    // the delimiter.
    if (key.includes(delimiter)) {
        throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
    }
    if (convertedValue.includes(delimiter)) {
        throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
    }
    return `${key}<<${delimiter}${external_os_namespaceObject.EOL}${convertedValue}${external_os_namespaceObject.EOL}${delimiter}`;
}
//# sourceMappingURL=file-command.js.map
;// CONCATENATED MODULE: external "path"
const external_path_namespaceObject = require("path");
;// CONCATENATED MODULE: ./dev/bundle/http-client.ts
// Bundled in place of `@actions/http-client`'s main module: see `paths` in tsconfig.json, which ncc
// applies when it bundles. Its subpaths (lib/proxy, lib/auth) are bundled as usual.
//
// The action sends its requests with node:http and node:https (src/transport.ts). The only other
// importer is @actions/core's OIDC client, for core.getIDToken(), which this action never calls.
// HttpClient's module loads node:https, TLS and undici at start-up whatever the URL; if a future
// change does reach it, this says so instead of failing obscurely.
class HttpClient {
    constructor() {
        throw new Error("@actions/http-client's HttpClient is not bundled in klear-token-action, so core.getIDToken() is unavailable. Remove the @actions/http-client alias from tsconfig.json if the action needs it.");
    }
}

;// CONCATENATED MODULE: ./node_modules/@actions/http-client/lib/auth.js
var __awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};
class BasicCredentialHandler {
    constructor(username, password) {
        this.username = username;
        this.password = password;
    }
    prepareRequest(options) {
        if (!options.headers) {
            throw Error('The request has no headers');
        }
        options.headers['Authorization'] = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
    }
    // This handler cannot handle 401
    canHandleAuthentication() {
        return false;
    }
    handleAuthentication() {
        return __awaiter(this, void 0, void 0, function* () {
            throw new Error('not implemented');
        });
    }
}
class BearerCredentialHandler {
    constructor(token) {
        this.token = token;
    }
    // currently implements pre-authorization
    // TODO: support preAuth = false where it hooks on 401
    prepareRequest(options) {
        if (!options.headers) {
            throw Error('The request has no headers');
        }
        options.headers['Authorization'] = `Bearer ${this.token}`;
    }
    // This handler cannot handle 401
    canHandleAuthentication() {
        return false;
    }
    handleAuthentication() {
        return __awaiter(this, void 0, void 0, function* () {
            throw new Error('not implemented');
        });
    }
}
class PersonalAccessTokenCredentialHandler {
    constructor(token) {
        this.token = token;
    }
    // currently implements pre-authorization
    // TODO: support preAuth = false where it hooks on 401
    prepareRequest(options) {
        if (!options.headers) {
            throw Error('The request has no headers');
        }
        options.headers['Authorization'] = `Basic ${Buffer.from(`PAT:${this.token}`).toString('base64')}`;
    }
    // This handler cannot handle 401
    canHandleAuthentication() {
        return false;
    }
    handleAuthentication() {
        return __awaiter(this, void 0, void 0, function* () {
            throw new Error('not implemented');
        });
    }
}
//# sourceMappingURL=auth.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/oidc-utils.js
var oidc_utils_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};



class OidcClient {
    static createHttpClient(allowRetry = true, maxRetry = 10) {
        const requestOptions = {
            allowRetries: allowRetry,
            maxRetries: maxRetry
        };
        return new HttpClient('actions/oidc-client', [new BearerCredentialHandler(OidcClient.getRequestToken())], requestOptions);
    }
    static getRequestToken() {
        const token = process.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
        if (!token) {
            throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_TOKEN env variable');
        }
        return token;
    }
    static getIDTokenUrl() {
        const runtimeUrl = process.env['ACTIONS_ID_TOKEN_REQUEST_URL'];
        if (!runtimeUrl) {
            throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable');
        }
        return runtimeUrl;
    }
    static getCall(id_token_url) {
        return oidc_utils_awaiter(this, void 0, void 0, function* () {
            var _a;
            const httpclient = OidcClient.createHttpClient();
            const res = yield httpclient
                .getJson(id_token_url)
                .catch(error => {
                throw new Error(`Failed to get ID Token. \n 
        Error Code : ${error.statusCode}\n 
        Error Message: ${error.message}`);
            });
            const id_token = (_a = res.result) === null || _a === void 0 ? void 0 : _a.value;
            if (!id_token) {
                throw new Error('Response json body do not have ID Token field');
            }
            return id_token;
        });
    }
    static getIDToken(audience) {
        return oidc_utils_awaiter(this, void 0, void 0, function* () {
            try {
                // New ID Token is requested from action service
                let id_token_url = OidcClient.getIDTokenUrl();
                if (audience) {
                    const encodedAudience = encodeURIComponent(audience);
                    id_token_url = `${id_token_url}&audience=${encodedAudience}`;
                }
                debug(`ID token url is ${id_token_url}`);
                const id_token = yield OidcClient.getCall(id_token_url);
                setSecret(id_token);
                return id_token;
            }
            catch (error) {
                throw new Error(`Error message: ${error.message}`);
            }
        });
    }
}
//# sourceMappingURL=oidc-utils.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/summary.js
var summary_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


const { access, appendFile, writeFile } = external_fs_namespaceObject.promises;
const SUMMARY_ENV_VAR = 'GITHUB_STEP_SUMMARY';
const SUMMARY_DOCS_URL = 'https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions#adding-a-job-summary';
class Summary {
    constructor() {
        this._buffer = '';
    }
    /**
     * Finds the summary file path from the environment, rejects if env var is not found or file does not exist
     * Also checks r/w permissions.
     *
     * @returns step summary file path
     */
    filePath() {
        return summary_awaiter(this, void 0, void 0, function* () {
            if (this._filePath) {
                return this._filePath;
            }
            const pathFromEnv = process.env[SUMMARY_ENV_VAR];
            if (!pathFromEnv) {
                throw new Error(`Unable to find environment variable for $${SUMMARY_ENV_VAR}. Check if your runtime environment supports job summaries.`);
            }
            try {
                yield access(pathFromEnv, external_fs_namespaceObject.constants.R_OK | external_fs_namespaceObject.constants.W_OK);
            }
            catch (_a) {
                throw new Error(`Unable to access summary file: '${pathFromEnv}'. Check if the file has correct read/write permissions.`);
            }
            this._filePath = pathFromEnv;
            return this._filePath;
        });
    }
    /**
     * Wraps content in an HTML tag, adding any HTML attributes
     *
     * @param {string} tag HTML tag to wrap
     * @param {string | null} content content within the tag
     * @param {[attribute: string]: string} attrs key-value list of HTML attributes to add
     *
     * @returns {string} content wrapped in HTML element
     */
    wrap(tag, content, attrs = {}) {
        const htmlAttrs = Object.entries(attrs)
            .map(([key, value]) => ` ${key}="${value}"`)
            .join('');
        if (!content) {
            return `<${tag}${htmlAttrs}>`;
        }
        return `<${tag}${htmlAttrs}>${content}</${tag}>`;
    }
    /**
     * Writes text in the buffer to the summary buffer file and empties buffer. Will append by default.
     *
     * @param {SummaryWriteOptions} [options] (optional) options for write operation
     *
     * @returns {Promise<Summary>} summary instance
     */
    write(options) {
        return summary_awaiter(this, void 0, void 0, function* () {
            const overwrite = !!(options === null || options === void 0 ? void 0 : options.overwrite);
            const filePath = yield this.filePath();
            const writeFunc = overwrite ? writeFile : appendFile;
            yield writeFunc(filePath, this._buffer, { encoding: 'utf8' });
            return this.emptyBuffer();
        });
    }
    /**
     * Clears the summary buffer and wipes the summary file
     *
     * @returns {Summary} summary instance
     */
    clear() {
        return summary_awaiter(this, void 0, void 0, function* () {
            return this.emptyBuffer().write({ overwrite: true });
        });
    }
    /**
     * Returns the current summary buffer as a string
     *
     * @returns {string} string of summary buffer
     */
    stringify() {
        return this._buffer;
    }
    /**
     * If the summary buffer is empty
     *
     * @returns {boolen} true if the buffer is empty
     */
    isEmptyBuffer() {
        return this._buffer.length === 0;
    }
    /**
     * Resets the summary buffer without writing to summary file
     *
     * @returns {Summary} summary instance
     */
    emptyBuffer() {
        this._buffer = '';
        return this;
    }
    /**
     * Adds raw text to the summary buffer
     *
     * @param {string} text content to add
     * @param {boolean} [addEOL=false] (optional) append an EOL to the raw text (default: false)
     *
     * @returns {Summary} summary instance
     */
    addRaw(text, addEOL = false) {
        this._buffer += text;
        return addEOL ? this.addEOL() : this;
    }
    /**
     * Adds the operating system-specific end-of-line marker to the buffer
     *
     * @returns {Summary} summary instance
     */
    addEOL() {
        return this.addRaw(external_os_namespaceObject.EOL);
    }
    /**
     * Adds an HTML codeblock to the summary buffer
     *
     * @param {string} code content to render within fenced code block
     * @param {string} lang (optional) language to syntax highlight code
     *
     * @returns {Summary} summary instance
     */
    addCodeBlock(code, lang) {
        const attrs = Object.assign({}, (lang && { lang }));
        const element = this.wrap('pre', this.wrap('code', code), attrs);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML list to the summary buffer
     *
     * @param {string[]} items list of items to render
     * @param {boolean} [ordered=false] (optional) if the rendered list should be ordered or not (default: false)
     *
     * @returns {Summary} summary instance
     */
    addList(items, ordered = false) {
        const tag = ordered ? 'ol' : 'ul';
        const listItems = items.map(item => this.wrap('li', item)).join('');
        const element = this.wrap(tag, listItems);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML table to the summary buffer
     *
     * @param {SummaryTableCell[]} rows table rows
     *
     * @returns {Summary} summary instance
     */
    addTable(rows) {
        const tableBody = rows
            .map(row => {
            const cells = row
                .map(cell => {
                if (typeof cell === 'string') {
                    return this.wrap('td', cell);
                }
                const { header, data, colspan, rowspan } = cell;
                const tag = header ? 'th' : 'td';
                const attrs = Object.assign(Object.assign({}, (colspan && { colspan })), (rowspan && { rowspan }));
                return this.wrap(tag, data, attrs);
            })
                .join('');
            return this.wrap('tr', cells);
        })
            .join('');
        const element = this.wrap('table', tableBody);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds a collapsable HTML details element to the summary buffer
     *
     * @param {string} label text for the closed state
     * @param {string} content collapsable content
     *
     * @returns {Summary} summary instance
     */
    addDetails(label, content) {
        const element = this.wrap('details', this.wrap('summary', label) + content);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML image tag to the summary buffer
     *
     * @param {string} src path to the image you to embed
     * @param {string} alt text description of the image
     * @param {SummaryImageOptions} options (optional) addition image attributes
     *
     * @returns {Summary} summary instance
     */
    addImage(src, alt, options) {
        const { width, height } = options || {};
        const attrs = Object.assign(Object.assign({}, (width && { width })), (height && { height }));
        const element = this.wrap('img', null, Object.assign({ src, alt }, attrs));
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML section heading element
     *
     * @param {string} text heading text
     * @param {number | string} [level=1] (optional) the heading level, default: 1
     *
     * @returns {Summary} summary instance
     */
    addHeading(text, level) {
        const tag = `h${level}`;
        const allowedTag = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].includes(tag)
            ? tag
            : 'h1';
        const element = this.wrap(allowedTag, text);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML thematic break (<hr>) to the summary buffer
     *
     * @returns {Summary} summary instance
     */
    addSeparator() {
        const element = this.wrap('hr', null);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML line break (<br>) to the summary buffer
     *
     * @returns {Summary} summary instance
     */
    addBreak() {
        const element = this.wrap('br', null);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML blockquote to the summary buffer
     *
     * @param {string} text quote text
     * @param {string} cite (optional) citation url
     *
     * @returns {Summary} summary instance
     */
    addQuote(text, cite) {
        const attrs = Object.assign({}, (cite && { cite }));
        const element = this.wrap('blockquote', text, attrs);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML anchor tag to the summary buffer
     *
     * @param {string} text link text/content
     * @param {string} href hyperlink
     *
     * @returns {Summary} summary instance
     */
    addLink(text, href) {
        const element = this.wrap('a', text, { href });
        return this.addRaw(element).addEOL();
    }
}
const _summary = new Summary();
/**
 * @deprecated use `core.summary`
 */
const markdownSummary = _summary;
const summary = _summary;
//# sourceMappingURL=summary.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/path-utils.js

/**
 * toPosixPath converts the given path to the posix form. On Windows, \\ will be
 * replaced with /.
 *
 * @param pth. Path to transform.
 * @return string Posix path.
 */
function toPosixPath(pth) {
    return pth.replace(/[\\]/g, '/');
}
/**
 * toWin32Path converts the given path to the win32 form. On Linux, / will be
 * replaced with \\.
 *
 * @param pth. Path to transform.
 * @return string Win32 path.
 */
function toWin32Path(pth) {
    return pth.replace(/[/]/g, '\\');
}
/**
 * toPlatformPath converts the given path to a platform-specific path. It does
 * this by replacing instances of / and \ with the platform-specific path
 * separator.
 *
 * @param pth The path to platformize.
 * @return string The platform-specific path.
 */
function toPlatformPath(pth) {
    return pth.replace(/[/\\]/g, external_path_namespaceObject.sep);
}
//# sourceMappingURL=path-utils.js.map
;// CONCATENATED MODULE: ./dev/bundle/actions-exec.ts
// Bundled in place of `@actions/exec`: see `paths` in tsconfig.json, which ncc applies when it
// bundles.
//
// @actions/core 3 imports @actions/exec (and with it @actions/io) only for
// core.platform.getDetails(), which runs `lsb_release`, `sw_vers` or PowerShell to name the OS.
// This action never calls it. If a future change does, this says so instead of failing obscurely.
function getExecOutput() {
    return Promise.reject(new Error('@actions/exec is not bundled in klear-token-action, so core.platform.getDetails() is unavailable. Remove the @actions/exec alias from tsconfig.json if the action needs it.'));
}

;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/platform.js
var platform_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


const getWindowsInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    const { stdout: version } = yield getExecOutput('powershell -command "(Get-CimInstance -ClassName Win32_OperatingSystem).Version"', undefined, {
        silent: true
    });
    const { stdout: name } = yield getExecOutput('powershell -command "(Get-CimInstance -ClassName Win32_OperatingSystem).Caption"', undefined, {
        silent: true
    });
    return {
        name: name.trim(),
        version: version.trim()
    };
});
const getMacOsInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    var _a, _b, _c, _d;
    const { stdout } = yield getExecOutput('sw_vers', undefined, {
        silent: true
    });
    const version = (_b = (_a = stdout.match(/ProductVersion:\s*(.+)/)) === null || _a === void 0 ? void 0 : _a[1]) !== null && _b !== void 0 ? _b : '';
    const name = (_d = (_c = stdout.match(/ProductName:\s*(.+)/)) === null || _c === void 0 ? void 0 : _c[1]) !== null && _d !== void 0 ? _d : '';
    return {
        name,
        version
    };
});
const getLinuxInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    const { stdout } = yield getExecOutput('lsb_release', ['-i', '-r', '-s'], {
        silent: true
    });
    const [name, version] = stdout.trim().split('\n');
    return {
        name,
        version
    };
});
const platform = external_os_namespaceObject.platform();
const arch = external_os_namespaceObject.arch();
const isWindows = platform === 'win32';
const isMacOS = platform === 'darwin';
const isLinux = platform === 'linux';
function getDetails() {
    return platform_awaiter(this, void 0, void 0, function* () {
        return Object.assign(Object.assign({}, (yield (isWindows
            ? getWindowsInfo()
            : isMacOS
                ? getMacOsInfo()
                : getLinuxInfo()))), { platform,
            arch,
            isWindows,
            isMacOS,
            isLinux });
    });
}
//# sourceMappingURL=platform.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/core.js
var core_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};






/**
 * The code to exit an action
 */
var ExitCode;
(function (ExitCode) {
    /**
     * A code indicating that the action was successful
     */
    ExitCode[ExitCode["Success"] = 0] = "Success";
    /**
     * A code indicating that the action was a failure
     */
    ExitCode[ExitCode["Failure"] = 1] = "Failure";
})(ExitCode || (ExitCode = {}));
//-----------------------------------------------------------------------
// Variables
//-----------------------------------------------------------------------
/**
 * Sets env variable for this action and future actions in the job
 * @param name the name of the variable to set
 * @param val the value of the variable. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function exportVariable(name, val) {
    const convertedVal = toCommandValue(val);
    process.env[name] = convertedVal;
    const filePath = process.env['GITHUB_ENV'] || '';
    if (filePath) {
        return issueFileCommand('ENV', prepareKeyValueMessage(name, val));
    }
    issueCommand('set-env', { name }, convertedVal);
}
/**
 * Registers a secret which will get masked from logs
 *
 * @param secret - Value of the secret to be masked
 * @remarks
 * This function instructs the Actions runner to mask the specified value in any
 * logs produced during the workflow run. Once registered, the secret value will
 * be replaced with asterisks (***) whenever it appears in console output, logs,
 * or error messages.
 *
 * This is useful for protecting sensitive information such as:
 * - API keys
 * - Access tokens
 * - Authentication credentials
 * - URL parameters containing signatures (SAS tokens)
 *
 * Note that masking only affects future logs; any previous appearances of the
 * secret in logs before calling this function will remain unmasked.
 *
 * @example
 * ```typescript
 * // Register an API token as a secret
 * const apiToken = "abc123xyz456";
 * setSecret(apiToken);
 *
 * // Now any logs containing this value will show *** instead
 * console.log(`Using token: ${apiToken}`); // Outputs: "Using token: ***"
 * ```
 */
function setSecret(secret) {
    issueCommand('add-mask', {}, secret);
}
/**
 * Prepends inputPath to the PATH (for this action and future actions)
 * @param inputPath
 */
function addPath(inputPath) {
    const filePath = process.env['GITHUB_PATH'] || '';
    if (filePath) {
        issueFileCommand('PATH', inputPath);
    }
    else {
        issueCommand('add-path', {}, inputPath);
    }
    process.env['PATH'] = `${inputPath}${external_path_namespaceObject.delimiter}${process.env['PATH']}`;
}
/**
 * Gets the value of an input.
 * Unless trimWhitespace is set to false in InputOptions, the value is also trimmed.
 * Returns an empty string if the value is not defined.
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   string
 */
function getInput(name, options) {
    const val = process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '';
    if (options && options.required && !val) {
        throw new Error(`Input required and not supplied: ${name}`);
    }
    if (options && options.trimWhitespace === false) {
        return val;
    }
    return val.trim();
}
/**
 * Gets the values of an multiline input.  Each value is also trimmed.
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   string[]
 *
 */
function getMultilineInput(name, options) {
    const inputs = getInput(name, options)
        .split('\n')
        .filter(x => x !== '');
    if (options && options.trimWhitespace === false) {
        return inputs;
    }
    return inputs.map(input => input.trim());
}
/**
 * Gets the input value of the boolean type in the YAML 1.2 "core schema" specification.
 * Support boolean input list: `true | True | TRUE | false | False | FALSE` .
 * The return value is also in boolean type.
 * ref: https://yaml.org/spec/1.2/spec.html#id2804923
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   boolean
 */
function getBooleanInput(name, options) {
    const trueValue = ['true', 'True', 'TRUE'];
    const falseValue = ['false', 'False', 'FALSE'];
    const val = getInput(name, options);
    if (trueValue.includes(val))
        return true;
    if (falseValue.includes(val))
        return false;
    throw new TypeError(`Input does not meet YAML 1.2 "Core Schema" specification: ${name}\n` +
        `Support boolean input list: \`true | True | TRUE | false | False | FALSE\``);
}
/**
 * Sets the value of an output.
 *
 * @param     name     name of the output to set
 * @param     value    value to store. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function setOutput(name, value) {
    const filePath = process.env['GITHUB_OUTPUT'] || '';
    if (filePath) {
        return issueFileCommand('OUTPUT', prepareKeyValueMessage(name, value));
    }
    process.stdout.write(external_os_namespaceObject.EOL);
    issueCommand('set-output', { name }, toCommandValue(value));
}
/**
 * Enables or disables the echoing of commands into stdout for the rest of the step.
 * Echoing is disabled by default if ACTIONS_STEP_DEBUG is not set.
 *
 */
function setCommandEcho(enabled) {
    issue('echo', enabled ? 'on' : 'off');
}
//-----------------------------------------------------------------------
// Results
//-----------------------------------------------------------------------
/**
 * Sets the action status to failed.
 * When the action exits it will be with an exit code of 1
 * @param message add error issue message
 */
function setFailed(message) {
    process.exitCode = ExitCode.Failure;
    error(message);
}
//-----------------------------------------------------------------------
// Logging Commands
//-----------------------------------------------------------------------
/**
 * Gets whether Actions Step Debug is on or not
 */
function isDebug() {
    return process.env['RUNNER_DEBUG'] === '1';
}
/**
 * Writes debug message to user log
 * @param message debug message
 */
function debug(message) {
    issueCommand('debug', {}, message);
}
/**
 * Adds an error issue
 * @param message error issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function error(message, properties = {}) {
    issueCommand('error', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Adds a warning issue
 * @param message warning issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function warning(message, properties = {}) {
    issueCommand('warning', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Adds a notice issue
 * @param message notice issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function notice(message, properties = {}) {
    issueCommand('notice', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Writes info to log with console.log.
 * @param message info message
 */
function info(message) {
    process.stdout.write(message + external_os_namespaceObject.EOL);
}
/**
 * Begin an output group.
 *
 * Output until the next `groupEnd` will be foldable in this group
 *
 * @param name The name of the output group
 */
function startGroup(name) {
    issue('group', name);
}
/**
 * End an output group.
 */
function endGroup() {
    issue('endgroup');
}
/**
 * Wrap an asynchronous function call in a group.
 *
 * Returns the same type as the function itself.
 *
 * @param name The name of the group
 * @param fn The function to wrap in the group
 */
function group(name, fn) {
    return core_awaiter(this, void 0, void 0, function* () {
        startGroup(name);
        let result;
        try {
            result = yield fn();
        }
        finally {
            endGroup();
        }
        return result;
    });
}
//-----------------------------------------------------------------------
// Wrapper action state
//-----------------------------------------------------------------------
/**
 * Saves state for current action, the state can only be retrieved by this action's post job execution.
 *
 * @param     name     name of the state to store
 * @param     value    value to store. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function saveState(name, value) {
    const filePath = process.env['GITHUB_STATE'] || '';
    if (filePath) {
        return issueFileCommand('STATE', prepareKeyValueMessage(name, value));
    }
    issueCommand('save-state', { name }, toCommandValue(value));
}
/**
 * Gets the value of an state set by this action's main execution.
 *
 * @param     name     name of the state to get
 * @returns   string
 */
function getState(name) {
    return process.env[`STATE_${name}`] || '';
}
function getIDToken(aud) {
    return core_awaiter(this, void 0, void 0, function* () {
        return yield OidcClient.getIDToken(aud);
    });
}
/**
 * Summary exports
 */

/**
 * @deprecated use core.summary
 */

/**
 * Path exports
 */

/**
 * Platform utilities exports
 */

//# sourceMappingURL=core.js.map
;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = require("node:fs");
;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = require("node:os");
;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = require("node:path");
;// CONCATENATED MODULE: ./src/claims.ts
/** Characters a JWT (or any sane bearer token) is made of: base64url, base64 and the dots between. */
const TOKEN_SHAPE = /^[A-Za-z0-9._~+/=-]+$/;
function looksLikeToken(value) {
    return typeof value === 'string' && value.length > 0 && TOKEN_SHAPE.test(value);
}
/** Beyond this a JavaScript Date cannot represent the instant (and no real token expires there). */
const MAX_DATE_SECONDS = 8.64e12;
/** A claim past this is milliseconds, not seconds: in seconds it is the year 5138. */
const MAX_PLAUSIBLE_SECONDS = 1e11;
/** Whether a time claim reads as seconds since the epoch: positive, and not milliseconds. */
function plausibleSeconds(seconds) {
    return seconds !== undefined && seconds > 0 && seconds < MAX_PLAUSIBLE_SECONDS;
}
/** The token's claims, or an empty object when it is not a readable JWT (opaque tokens are allowed). */
function readClaims(token) {
    const payload = token.split('.')[1];
    if (!payload)
        return {};
    try {
        const json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
        if (typeof json !== 'object' || json === null)
            return {};
        const { exp, iat, token_type: tokenType } = json;
        const seconds = (value) => typeof value === 'number' && Math.abs(value) <= MAX_DATE_SECONDS ? value : undefined;
        return {
            exp: seconds(exp),
            iat: seconds(iat),
            tokenType: typeof tokenType === 'string' ? tokenType : undefined
        };
    }
    catch {
        return {};
    }
}
/**
 * Whether the token's `exp` passed more than `leewayMs` ago by the wall clock `nowMs`; a token
 * without a plausible one is never taken for expired. Only for tokens handed in as inputs, which
 * have no arrival time: run mode's own tokens are judged by token-time.ts.
 */
function isExpired(token, nowMs, leewayMs = 0) {
    const { exp } = readClaims(token);
    return plausibleSeconds(exp) && exp * 1000 + leewayMs <= nowMs;
}
/** `exp` as ISO 8601 UTC, as KlearStack states it; '' when the token carries no plausible one. */
function expiryIso(token) {
    const { exp } = readClaims(token);
    return plausibleSeconds(exp) ? new Date(exp * 1000).toISOString() : '';
}
/** Human form of a span of seconds: "3 h 12 min", "45 s". */
function formatDuration(seconds) {
    const s = Math.max(0, Math.round(seconds));
    if (s < 60)
        return `${s} s`;
    const minutes = Math.floor(s / 60);
    if (minutes < 60)
        return `${minutes} min`;
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

;// CONCATENATED MODULE: ./src/endpoints.ts
/** KlearStack's token endpoints, relative to the API root. */
const ENDPOINTS = {
    refresh: '/access/klearstack/getaccesstokenfromrefreshtoken',
    login: '/access/klearstack/get_access_token'
};

;// CONCATENATED MODULE: ./src/errors.ts
/**
 * A failure the user can act on. `message` is one sentence of what happened and one of what to do;
 * it is printed as the step's error, so it must never contain a secret or a raw response body.
 */
class ActionError extends Error {
    /** Whether a later attempt could succeed (a 503, a reset), as opposed to a permanent refusal. */
    retryable;
    /** HTTP status of the response that caused it, if there was one. */
    status;
    /** Seconds the server asked us to wait (Retry-After), if it said. */
    retryAfterSeconds;
    /** KlearStack said the bearer (the access token sent along) has expired: a refresh without it may pass. */
    bearerExpired;
    constructor(message, options = {}) {
        super(message);
        this.name = 'ActionError';
        this.retryable = options.retryable ?? false;
        this.status = options.status;
        this.retryAfterSeconds = options.retryAfterSeconds;
        this.bearerExpired = options.bearerExpired ?? false;
    }
}
/** The message to show for anything thrown, without stack traces or nested causes. */
function messageOf(error) {
    if (error instanceof ActionError)
        return error.message;
    const detail = error instanceof Error ? error.message : String(error);
    return `Unexpected error: ${detail}. This is a bug in klear-token-action; please report it with this message.`;
}

;// CONCATENATED MODULE: external "node:net"
const external_node_net_namespaceObject = require("node:net");
;// CONCATENATED MODULE: ./node_modules/@actions/http-client/lib/proxy.js
function getProxyUrl(reqUrl) {
    const usingSsl = reqUrl.protocol === 'https:';
    if (checkBypass(reqUrl)) {
        return undefined;
    }
    const proxyVar = (() => {
        if (usingSsl) {
            return process.env['https_proxy'] || process.env['HTTPS_PROXY'];
        }
        else {
            return process.env['http_proxy'] || process.env['HTTP_PROXY'];
        }
    })();
    if (proxyVar) {
        try {
            return new DecodedURL(proxyVar);
        }
        catch (_a) {
            if (!proxyVar.startsWith('http://') && !proxyVar.startsWith('https://'))
                return new DecodedURL(`http://${proxyVar}`);
        }
    }
    else {
        return undefined;
    }
}
function checkBypass(reqUrl) {
    if (!reqUrl.hostname) {
        return false;
    }
    const reqHost = reqUrl.hostname;
    if (isLoopbackAddress(reqHost)) {
        return true;
    }
    const noProxy = process.env['no_proxy'] || process.env['NO_PROXY'] || '';
    if (!noProxy) {
        return false;
    }
    // Determine the request port
    let reqPort;
    if (reqUrl.port) {
        reqPort = Number(reqUrl.port);
    }
    else if (reqUrl.protocol === 'http:') {
        reqPort = 80;
    }
    else if (reqUrl.protocol === 'https:') {
        reqPort = 443;
    }
    // Format the request hostname and hostname with port
    const upperReqHosts = [reqUrl.hostname.toUpperCase()];
    if (typeof reqPort === 'number') {
        upperReqHosts.push(`${upperReqHosts[0]}:${reqPort}`);
    }
    // Compare request host against noproxy
    for (const upperNoProxyItem of noProxy
        .split(',')
        .map(x => x.trim().toUpperCase())
        .filter(x => x)) {
        if (upperNoProxyItem === '*' ||
            upperReqHosts.some(x => x === upperNoProxyItem ||
                x.endsWith(`.${upperNoProxyItem}`) ||
                (upperNoProxyItem.startsWith('.') &&
                    x.endsWith(`${upperNoProxyItem}`)))) {
            return true;
        }
    }
    return false;
}
function isLoopbackAddress(host) {
    const hostLower = host.toLowerCase();
    return (hostLower === 'localhost' ||
        hostLower.startsWith('127.') ||
        hostLower.startsWith('[::1]') ||
        hostLower.startsWith('[0:0:0:0:0:0:0:1]'));
}
class DecodedURL extends URL {
    constructor(url, base) {
        super(url, base);
        this._decodedUsername = decodeURIComponent(super.username);
        this._decodedPassword = decodeURIComponent(super.password);
    }
    get username() {
        return this._decodedUsername;
    }
    get password() {
        return this._decodedPassword;
    }
}
//# sourceMappingURL=proxy.js.map
;// CONCATENATED MODULE: ./src/version.ts
/** Sent as the User-Agent so KlearStack's operators can tell our traffic apart. Kept equal to package.json by a test. */
const ACTION_NAME = 'klear-token-action';
const ACTION_VERSION = '1.0.0';
const USER_AGENT = `${ACTION_NAME}/${ACTION_VERSION}`;

;// CONCATENATED MODULE: ./src/transport.ts




/** A token response is a few hundred bytes; anything near this is not a token response. */
const MAX_BODY_BYTES = 1024 * 1024;
/**
 * One POST of a form on a new connection, through the proxy the runner's environment names.
 * Redirects are never followed: following one would re-send the form, refresh token and password
 * included, to whatever host a `Location` names. Every failure is an ActionError that says what
 * happened and what to do.
 *
 * node:http and node:https directly, rather than @actions/http-client's HttpClient: loading
 * HttpClient loads node:https and TLS on every run, http or not, and its request path is longer.
 * Without it the step took 1.30× the floor instead of 1.39× over http, and 1.15× instead of 1.18×
 * over https (npm run bench, 40 rounds, both builds in the same rounds).
 */
async function postForm(url, form, headers, options) {
    const { timeoutMs } = options;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const signal = options.signal
        ? AbortSignal.any([deadline.signal, options.signal])
        : deadline.signal;
    try {
        // Only the module the URL needs: a run against http never loads TLS.
        const { request } = url.protocol === 'https:' ? await Promise.resolve(/* import() */).then(__nccwpck_require__.t.bind(__nccwpck_require__, 708, 23)) : await Promise.resolve(/* import() */).then(__nccwpck_require__.t.bind(__nccwpck_require__, 67, 23));
        const agent = await proxyAgent(url);
        const message = await new Promise((resolve, reject) => {
            const req = request(url, {
                method: 'POST',
                headers: {
                    ...headers,
                    'user-agent': USER_AGENT,
                    'content-length': String(Buffer.byteLength(form))
                },
                // No agent means a connection of its own, closed after the answer.
                agent: agent ?? false,
                signal
            }, resolve);
            req.on('error', reject);
            req.end(form);
        });
        const status = message.statusCode ?? 0;
        if (status >= 300 && status < 400) {
            message.destroy();
            return { status, headers: message.headers, body: '' };
        }
        const body = await readLimited(message, options.maxBodyBytes ?? MAX_BODY_BYTES);
        return { status, headers: message.headers, body };
    }
    catch (error) {
        throw transportError(error, url, deadline.signal.aborted, timeoutMs);
    }
    finally {
        clearTimeout(timer);
    }
}
/**
 * The tunnelling agent for the proxy in https_proxy / HTTPS_PROXY (http_proxy / HTTP_PROXY for an
 * http URL), unless no_proxy exempts the host: @actions/http-client's rules, the same as every
 * other action's. `tunnel` is loaded only when a proxy is set.
 */
async function proxyAgent(url) {
    const proxy = getProxyUrl(url);
    if (!proxy?.hostname)
        return undefined;
    // "eager": ncc puts tunnel in dist/index.js instead of a chunk file of its own, and still runs it
    // only when this line does.
    const { default: tunnel } = await Promise.resolve(/* import() eager */).then(__nccwpck_require__.t.bind(__nccwpck_require__, 770, 19));
    const proxyOverHttps = proxy.protocol === 'https:';
    // An IPv6 address comes bracketed from a URL; a socket wants it bare.
    const host = proxy.hostname.replace(/^\[(.*)\]$/, '$1');
    const options = {
        proxy: {
            host,
            port: Number(proxy.port) || (proxyOverHttps ? 443 : 80),
            // tunnel leaves the TLS name of a connection to an https proxy to Node, which takes it from
            // the CONNECT's Host header: the API's host. The proxy's certificate was then checked against
            // the API's name and refused (koichik/node-tunnel#41, still open). Name the proxy itself; an
            // IP address is no TLS name, and '' has Node check the certificate against the address.
            servername: (0,external_node_net_namespaceObject.isIP)(host) ? '' : host,
            // getProxyUrl's URL gives the user name and password already percent-decoded.
            ...(proxy.username || proxy.password
                ? { proxyAuth: `${proxy.username}:${proxy.password}` }
                : {})
        }
    };
    if (url.protocol === 'https:') {
        return proxyOverHttps ? tunnel.httpsOverHttps(options) : tunnel.httpsOverHttp(options);
    }
    return proxyOverHttps ? tunnel.httpOverHttps(options) : tunnel.httpOverHttp(options);
}
async function readLimited(message, limit) {
    const declared = Number(message.headers['content-length']);
    if (declared > limit) {
        message.destroy();
        throw tooLarge(limit);
    }
    const chunks = [];
    let size = 0;
    for await (const chunk of message) {
        size += chunk.length;
        if (size > limit) {
            message.destroy();
            throw tooLarge(limit);
        }
        chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
}
function tooLarge(limit) {
    return new ActionError(`KlearStack's answer was larger than ${limit / 1024} KiB, far more than any token response, so it was abandoned unread. Check that base-url points at the KlearStack API.`);
}
const TLS_CODES = /^(CERT_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|ERR_TLS_|ERR_SSL_|EPROTO$|HOSTNAME_MISMATCH)/;
function transportError(error, url, timedOut, timeoutMs) {
    if (error instanceof ActionError)
        return error;
    const host = url.host;
    if (timedOut) {
        return new ActionError(`No complete answer from ${host} within ${timeoutMs / 1000} s (timeout-seconds). The API may be overloaded or unreachable from this runner; raise timeout-seconds if it is just slow.`, { retryable: true });
    }
    const code = String(error?.code ?? '');
    if (code === 'ENOTFOUND') {
        return new ActionError(`The host ${host} could not be found (DNS). Check base-url for typos; a host on a private network needs a runner that can resolve it.`);
    }
    if (code === 'EAI_AGAIN') {
        return new ActionError(`Looking up ${host} failed for now (DNS, ${code}). This is usually temporary.`, {
            retryable: true
        });
    }
    if (TLS_CODES.test(code)) {
        return new ActionError(`The TLS connection to ${host} failed (${code}): its certificate is not trusted or does not match the host. If the API uses a private certificate authority, set NODE_EXTRA_CA_CERTS to that CA's PEM file in the step's env; never switch certificate checks off.`);
    }
    if (code === 'ECONNREFUSED') {
        return new ActionError(`${host} refused the connection (ECONNREFUSED). Check the host and port in base-url and that the API is up.`, { retryable: true });
    }
    const what = code || (error instanceof Error ? error.name : 'unknown error');
    return new ActionError(`The connection to ${host} failed before a complete answer (${what}). This is usually a network problem between the runner and the API; re-run the job if it persists.`, { retryable: true });
}

;// CONCATENATED MODULE: ./src/client.ts




/**
 * One attempt at one KlearStack endpoint per call: statuses become typed `ActionError`s, retrying is
 * the caller's business. A redirect is an error too (transport.ts never follows one).
 */
class KlearClient {
    #config;
    constructor(config) {
        this.#config = config;
    }
    refresh(request) {
        const fields = { refresh_token: request.refreshToken, company_name: request.companyName };
        return this.#exchange('refresh', fields, request.accessToken);
    }
    login(request) {
        const fields = {
            username: request.username,
            password: request.password,
            company_name: request.companyName
        };
        return this.#exchange('login', fields);
    }
    async #exchange(endpoint, fields, bearer) {
        const url = new URL(this.#config.apiRoot + ENDPOINTS[endpoint]);
        const headers = {
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json'
        };
        if (bearer)
            headers.authorization = `Bearer ${bearer}`;
        this.#config.debug?.(`POST ${url.origin}${url.pathname}`);
        const form = new URLSearchParams(fields).toString();
        const response = await postForm(url, form, headers, this.#config);
        this.#config.debug?.(`HTTP ${response.status} from ${url.host}`);
        return this.#interpret(endpoint, url, Object.keys(fields), response);
    }
    #interpret(endpoint, url, sentFields, response) {
        const { status } = response;
        const json = parseJson(response.body);
        if (status >= 200 && status < 300)
            return this.#grant(endpoint, json);
        if (status >= 300 && status < 400)
            throw redirectError(status, url, response.headers.location);
        throw statusError(endpoint, url, sentFields, status, json, response.headers['retry-after']);
    }
    #grant(endpoint, json) {
        if (typeof json !== 'object' || json === null || Array.isArray(json)) {
            throw new ActionError('KlearStack answered HTTP 200 but the body is not a JSON object, so it carried no token. base-url probably points at a web page or a proxy rather than the API: check it.');
        }
        const body = json;
        // Mask first: whatever these hold, they may be printed by a later message or the runner.
        for (const field of ['access_token', 'refresh_token']) {
            const value = body[field];
            if (typeof value === 'string' && value.trim())
                this.#config.mask(value);
        }
        const accessToken = body.access_token;
        if (accessToken === undefined || accessToken === null || accessToken === '') {
            throw new ActionError('KlearStack answered HTTP 200 without an access_token, so there is nothing to export. Check that base-url points at the KlearStack API and not at another service.');
        }
        if (!looksLikeToken(accessToken)) {
            throw new ActionError('KlearStack answered HTTP 200 with an access_token that is not a token (it has spaces, quotes, line breaks or is not text); nothing was exported. Report this to KlearStack support if it persists.');
        }
        const grant = { accessToken, releaseVersion: releaseVersionOf(body.release_version) };
        if (endpoint === 'login' && looksLikeToken(body.refresh_token))
            grant.refreshToken = body.refresh_token;
        return grant;
    }
}
function parseJson(text) {
    try {
        return JSON.parse(text);
    }
    catch {
        return undefined;
    }
}
function releaseVersionOf(value) {
    return typeof value === 'string' && /^[\w.+-]{1,64}$/.test(value) ? value : '';
}
function redirectError(status, url, location) {
    let target = 'an unnamed location';
    try {
        if (location)
            target = new URL(location, url).host;
    }
    catch {
        target = 'an unreadable location';
    }
    return new ActionError(`KlearStack answered with a redirect (HTTP ${status}) to ${target}; redirects are refused so that the refresh token is never re-sent to another address. Point base-url at the final API address (check for http vs https, a missing prefix or an old host name).`, { status });
}
function statusError(endpoint, url, sentFields, status, json, retryAfter) {
    const body = typeof json === 'object' && json !== null ? json : {};
    switch (status) {
        case 400:
            return new ActionError(`KlearStack refused the ${endpoint === 'login' ? 'login' : 'refresh'} request as incomplete (HTTP 400). Check that company-name${endpoint === 'login' ? ', username and password are' : ' and refresh-token are'} set and not empty.`, { status });
        case 401:
            return unauthorized(endpoint, body);
        case 403:
            return new ActionError('KlearStack refused access (HTTP 403): the account may not use this endpoint, or a firewall in front of the API blocked the runner. Check the account with your KlearStack administrator, and any IP allow-list.', { status });
        case 404:
            return new ActionError(`KlearStack has no token endpoint at ${url.origin}${url.pathname} (HTTP 404). Check base-url: it should be the API root, e.g. https://api.example.com, to which the action appends /access/klearstack/….`, { status });
        case 429:
            return new ActionError('KlearStack is limiting the rate of requests (HTTP 429). Try again later, or run fewer jobs at once.', {
                status,
                retryable: true,
                retryAfterSeconds: parseRetryAfter(retryAfter)
            });
    }
    // KlearStack's 500 `{"error": "<name>"}` means that field was missing. Only a field we sent is
    // named back: any other text in a body could be an echo of something secret.
    if (status === 500 && typeof body.error === 'string' && sentFields.includes(body.error)) {
        return new ActionError(`KlearStack says the required parameter '${body.error}' is missing or empty (HTTP 500). This will not fix itself on retry: check that the input that feeds it is set and that its secret is available to this workflow.`, { status });
    }
    if (status >= 500) {
        return new ActionError(`KlearStack had a server error or is unavailable (HTTP ${status}). This is usually temporary: re-run the job later, and raise max-attempts if it happens often.`, { status, retryable: true, retryAfterSeconds: parseRetryAfter(retryAfter) });
    }
    return new ActionError(`KlearStack answered with an unexpected HTTP ${status}. Check that base-url points at the KlearStack API.`, { status });
}
function unauthorized(endpoint, body) {
    if (endpoint === 'login') {
        return new ActionError('KlearStack rejected the login (HTTP 401): the username, password or company-name is wrong. Check the service account secrets.', { status: 401 });
    }
    const said = JSON.stringify([body.detail, body.messages, body.error]);
    // SimpleJWT says "Token is expired"; its "Token is invalid or expired" does not say which.
    const expired = /token is expired/i.test(said);
    const accessExpired = expired && /"token_type":"access"|AccessToken/.test(said);
    const cause = accessExpired
        ? 'the access token given in access-token has expired. Leave access-token empty or pass a fresh one (the refresh only needs the refresh token)'
        : expired
            ? 'the token it was given has expired. Store a new refresh token in the secret, or give username and password so the action can log in'
            : 'the refresh token or access token is invalid or expired, or company-name does not match the account. Store a new refresh token, check company-name, or give username and password so the action can log in';
    return new ActionError(`KlearStack rejected the request (HTTP 401): ${cause}.`, {
        status: 401,
        bearerExpired: accessExpired
    });
}
/** Retry-After as seconds from now: either delay-seconds or an HTTP date. */
function parseRetryAfter(value, now = Date.now()) {
    if (!value)
        return undefined;
    if (/^\d+$/.test(value.trim()))
        return Number(value.trim());
    const date = Date.parse(value);
    return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

;// CONCATENATED MODULE: ./src/shell.ts
/**
 * Run mode's `shell` input means what a `run:` step's `shell:` means. Mirrors actions/runner 2.336.0,
 * src/Runner.Worker/Handlers/ScriptHandlerHelpers.cs (templates, extensions, prologues) and
 * ScriptHandler.cs (COMMAND [ARGS] split at the first space, a PATH lookup of COMMAND, a template
 * that must contain {0}, the script written to a file as UTF-8 without BOM, CRLF on Windows).
 */



const TEMPLATES = {
    cmd: '/D /E:ON /V:OFF /S /C "CALL "{0}""',
    pwsh: `-command ". '{0}'"`,
    powershell: `-command ". '{0}'"`,
    bash: '--noprofile --norc -e -o pipefail {0}',
    sh: '-e {0}',
    python: '{0}'
};
const EXTENSIONS = {
    cmd: '.cmd',
    pwsh: '.ps1',
    powershell: '.ps1',
    bash: '.sh',
    sh: '.sh',
    python: '.py'
};
/**
 * Reads the `shell` input: a built-in name, or `COMMAND [ARGS]` whose ARGS contain {0}. The program
 * must be found now, before any token is minted.
 */
function parseShell(value, env, platform = process.platform) {
    const text = value.trim() || 'bash';
    const space = text.indexOf(' ');
    const name = space === -1 ? text : text.slice(0, space);
    const args = space === -1 ? '' : text.slice(space + 1).trim();
    const key = name.toLowerCase();
    const template = args || TEMPLATES[key] || '';
    if (!template.includes('{0}')) {
        throw new ActionError(`Input 'shell' must be bash, sh, pwsh, powershell, python, cmd, or a command with '{0}' where the script's path goes (e.g. 'python3 {0}'); got '${text.slice(0, 64)}'.`);
    }
    const program = findProgram(name, env, platform);
    if (!program) {
        throw new ActionError(`Input 'shell' names '${name}', which is not on this runner's PATH, so the command cannot run. Install it in an earlier step, or choose another shell (bash is the default).`);
    }
    return { program, template, extension: EXTENSIONS[key] ?? '', name: key };
}
/** The script as the runner writes it: its prologue and epilogue, CRLF line ends on Windows. */
function scriptContents(shell, script, platform = process.platform) {
    const eol = platform === 'win32' ? '\r\n' : '\n';
    let contents = script;
    if (shell.name === 'cmd')
        contents = `@echo off${eol}${contents}`;
    if (shell.name === 'pwsh' || shell.name === 'powershell') {
        contents = `$ErrorActionPreference = 'stop'${eol}${contents}${eol}if ((Test-Path -LiteralPath variable:\\LASTEXITCODE)) { exit $LASTEXITCODE }`;
    }
    return platform === 'win32' ? contents.replace(/\r\n/g, '\n').replace(/\n/g, '\r\n') : contents;
}
/**
 * The template with the script's path in it, split into arguments as .NET's process start splits a
 * command line: white space separates, double quotes group (and are dropped), `\"` is a quote.
 */
function shellArguments(template, scriptPath) {
    const line = template.replaceAll('{0}', scriptPath.replaceAll('"', '\\"'));
    const args = [];
    let current = '';
    let quoted = false;
    let started = false;
    for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (c === '\\' && line[i + 1] === '"') {
            current += '"';
            i++;
            started = true;
        }
        else if (c === '"') {
            quoted = !quoted;
            started = true;
        }
        else if (/\s/.test(c) && !quoted) {
            if (started)
                args.push(current);
            current = '';
            started = false;
        }
        else {
            current += c;
            started = true;
        }
    }
    if (started)
        args.push(current);
    return args;
}
/** The runner's WhichUtil: a path as given, else the first executable match on PATH (PATHEXT on Windows). */
function findProgram(name, env, platform) {
    const windows = platform === 'win32';
    const extensions = windows && !(0,external_node_path_namespaceObject.extname)(name)
        ? (env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean)
        : [''];
    const candidates = (0,external_node_path_namespaceObject.isAbsolute)(name) || name.includes('/') || (windows && name.includes('\\'))
        ? [name]
        : (env.PATH ?? env.Path ?? '')
            .split(windows ? ';' : external_node_path_namespaceObject.delimiter)
            .filter(Boolean)
            .map(dir => (0,external_node_path_namespaceObject.join)(dir, name));
    for (const candidate of candidates) {
        for (const extension of extensions) {
            const path = candidate + extension;
            if (isExecutable(path, windows))
                return path;
        }
    }
    return '';
}
function isExecutable(path, windows) {
    try {
        if (!(0,external_node_fs_namespaceObject.statSync)(path).isFile())
            return false;
        if (!windows)
            (0,external_node_fs_namespaceObject.accessSync)(path, external_node_fs_namespaceObject.constants.X_OK);
        return true;
    }
    catch {
        return false;
    }
}

;// CONCATENATED MODULE: ./src/inputs.ts





/**
 * Credentials. Masked before anything is validated, so that no later message, debug line or crash
 * can print them. company-name is an identifier, not a credential: it is masked by the runner when
 * it comes from a secret, and masking a short word ourselves would blank it all over the log.
 */
const SECRET_INPUTS = ['refresh-token', 'access-token', 'username', 'password'];
const LIMITS = {
    timeoutSeconds: { min: 1, max: 3600 },
    maxAttempts: { min: 1, max: 10 },
    refreshIntervalSeconds: { min: 1, max: 24 * 3600 }
};
const SECRETS_HINT = 'If it comes from a secret or variable, make sure that is available to this workflow: secrets are empty on pull requests from forks and on Dependabot runs.';
function readInputs(source, env = process.env) {
    const raw = (name) => source.get(name).trim();
    for (const name of SECRET_INPUTS) {
        const value = raw(name);
        if (value)
            source.mask(value);
    }
    const baseUrl = raw('base-url');
    if (!baseUrl)
        throw missing('base-url', 'Set it to your KlearStack API root, e.g. https://api.example.com.');
    const companyName = raw('company-name');
    if (!companyName)
        throw missing('company-name', 'Set it to the company your KlearStack account belongs to.');
    const refreshToken = raw('refresh-token');
    const accessToken = raw('access-token');
    const username = raw('username');
    const password = raw('password');
    if (!refreshToken && !username && !password) {
        throw new ActionError("No credentials: input 'refresh-token' is empty and no 'username'/'password' were given. Give a refresh token, or a service account's username and password for unattended jobs. " +
            SECRETS_HINT);
    }
    if (Boolean(username) !== Boolean(password)) {
        const [given, absent] = username ? ['username', 'password'] : ['password', 'username'];
        throw new ActionError(`Input '${absent}' is empty but '${given}' is set: a login needs both. ${SECRETS_HINT}`);
    }
    checkTokenShape('refresh-token', refreshToken);
    checkTokenShape('access-token', accessToken);
    const run = source.get('run');
    const workingDirectory = raw('working-directory');
    if (!run.trim()) {
        if (workingDirectory)
            source.warn("Input 'working-directory' is ignored because 'run' is empty.");
    }
    else if (workingDirectory) {
        checkDirectory(workingDirectory);
    }
    // Only a command needs its shell on this runner; plain mode never starts one.
    const shell = run.trim()
        ? parseShell(raw('shell'), env)
        : { program: 'bash', template: '', extension: '.sh', name: 'bash' };
    return {
        apiRoot: parseApiRoot(baseUrl),
        refreshToken,
        companyName,
        accessToken,
        username,
        password,
        envName: checkEnvName(raw('env-name')),
        timeoutMs: wholeNumber('timeout-seconds', raw('timeout-seconds'), LIMITS.timeoutSeconds) * 1000,
        maxAttempts: wholeNumber('max-attempts', raw('max-attempts'), LIMITS.maxAttempts),
        run: run.trim() ? run : '',
        refreshIntervalMs: parseDuration(raw('refresh-interval')) * 1000,
        workingDirectory,
        shell
    };
}
function missing(name, what) {
    return new ActionError(`Input '${name}' is required but empty. ${what} ${SECRETS_HINT}`);
}
function checkTokenShape(name, value) {
    if (value && !looksLikeToken(value)) {
        throw new ActionError(`Input '${name}' does not look like a token: it contains spaces, quotes, line breaks or other characters a JWT cannot have. Store the bare token in the secret, without 'Bearer', quotes or the surrounding JSON.`);
    }
}
function isLoopback(hostname) {
    return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}
/**
 * Accepts the API root or the full endpoint URL. The value is never echoed in a message: a URL can
 * carry credentials, and people paste the wrong thing into this input.
 */
function parseApiRoot(value) {
    let url;
    try {
        url = new URL(value);
    }
    catch {
        throw new ActionError("Input 'base-url' is not an absolute URL. Give the full KlearStack API root including the scheme, e.g. https://api.example.com.");
    }
    if (url.username || url.password) {
        throw new ActionError("Input 'base-url' contains a user name or password. Remove them from the URL: credentials belong in the refresh-token (or username/password) inputs, which are masked.");
    }
    const loopbackHttp = url.protocol === 'http:' && isLoopback(url.hostname);
    if (url.protocol !== 'https:' && !loopbackHttp) {
        throw new ActionError("Input 'base-url' must use https, so that tokens never travel in clear text. Plain http is accepted only for loopback hosts (127.0.0.1, localhost, [::1]).");
    }
    if (url.search || url.hash) {
        throw new ActionError("Input 'base-url' must not contain a query string or fragment ('?…' or '#…'). Give the API root, e.g. https://api.example.com.");
    }
    let path = url.pathname.replace(/\/+$/, '');
    for (const endpoint of Object.values(ENDPOINTS)) {
        if (path.endsWith(endpoint)) {
            path = path.slice(0, -endpoint.length);
            break;
        }
    }
    return url.origin + path;
}
/** Names the runner refuses or owns, and names that would change how later steps run. */
const RESERVED_NAMES = new Set([
    'PATH',
    'HOME',
    'SHELL',
    'ENV',
    'BASH_ENV',
    'SHELLOPTS',
    'BASHOPTS',
    'IFS',
    'PS4',
    'PROMPT_COMMAND',
    'CI',
    'TMPDIR',
    'PYTHONPATH',
    'PYTHONSTARTUP',
    'PERL5OPT',
    'PERL5LIB',
    'RUBYOPT',
    'JAVA_TOOL_OPTIONS',
    '_JAVA_OPTIONS',
    // A token there would send every later step's traffic to a "proxy" named by the token.
    'HTTP_PROXY',
    'HTTPS_PROXY',
    'ALL_PROXY',
    'NO_PROXY'
]);
const RESERVED_PREFIXES = [
    'GITHUB_',
    'RUNNER_',
    'ACTIONS_',
    'INPUT_',
    'STATE_',
    'NODE_',
    'LD_',
    'DYLD_',
    'BASH_FUNC_'
];
function checkEnvName(name) {
    if (!name)
        return '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new ActionError(`Input 'env-name' ('${name.slice(0, 64)}') is not a valid environment variable name. Use letters, digits and underscores, not starting with a digit, e.g. KLEAR_ACCESS_TOKEN; or '' to export nothing.`);
    }
    // Windows treats variable names case-insensitively, so 'Path' would hit PATH there.
    const upper = name.toUpperCase();
    if (RESERVED_NAMES.has(upper) || RESERVED_PREFIXES.some(prefix => upper.startsWith(prefix))) {
        throw new ActionError(`Input 'env-name' is '${name}', a variable the runner owns or later steps depend on (such as PATH, NODE_OPTIONS, LD_PRELOAD, GITHUB_*, RUNNER_*): exporting a token there would break or hijack them. Choose another name, e.g. KLEAR_ACCESS_TOKEN.`);
    }
    return name;
}
function wholeNumber(name, value, range) {
    const number = /^\d{1,7}$/.test(value) ? Number(value) : NaN;
    if (!(number >= range.min && number <= range.max)) {
        throw new ActionError(`Input '${name}' must be a whole number from ${range.min} to ${range.max}; got '${value.slice(0, 32)}'.`);
    }
    return number;
}
const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
/** '90s', '10m', '1h', '1h30m' or a bare number of seconds, in seconds. */
function parseDuration(value) {
    const match = /^\d+$/.test(value) ? [value, '0', '0', value] : DURATION.exec(value);
    const [hours, minutes, seconds] = (match ?? []).slice(1).map(part => Number(part ?? 0));
    const total = match && value ? hours * 3600 + minutes * 60 + seconds : NaN;
    const { min, max } = LIMITS.refreshIntervalSeconds;
    if (!(total >= min && total <= max)) {
        throw new ActionError(`Input 'refresh-interval' must be a duration from ${min}s to 24h such as 90s, 10m or 1h; got '${value.slice(0, 32)}'.`);
    }
    return total;
}
function checkDirectory(path) {
    let isDirectory = false;
    try {
        isDirectory = (0,external_node_fs_namespaceObject.statSync)(path).isDirectory();
    }
    catch {
        // Reported below: a missing path and a file both mean the same fix.
    }
    if (!isDirectory) {
        throw new ActionError(`Input 'working-directory' ('${path}') is not a directory. Give a path relative to the workspace that exists when this step runs (check out the repository first).`);
    }
}

;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = require("node:fs/promises");
;// CONCATENATED MODULE: ./src/token-time.ts
/**
 * Token time by KlearStack's clock. A token's `iat` and `exp` are stamped by KlearStack, whose clock
 * can be minutes away from the runner's (self-hosted machines without NTP, resumed VMs). So a
 * token's deadline is kept on the runner's monotonic clock: the moment its request was sent plus
 * the life KlearStack gave it (`exp − iat`), which trusts neither wall clock. Only a token without a
 * plausible `iat` falls back to `exp` against the runner's wall clock. Everything here is pure: the
 * caller passes the clock readings.
 */

/** `iat` and `exp` are whole seconds, so a life read from them can be up to a second too long. */
const CLAIM_RESOLUTION_MS = 1000;
/** Skew beyond this is worth a warning; below it, it is latency and rounding. */
const SKEW_WARNING_MS = 60 * 1000;
/** A refresh ahead of expiry comes at the last quarter of a token's life, at most this early. */
const MAX_AHEAD_MS = 2 * 60 * 1000;
/** However short a token lives, refreshes the interval did not ask for come no closer than this. */
const MIN_EARLY_GAP_MS = 15 * 1000;
/** KlearStack's own tokens live 15 minutes; below this a token cannot be kept fresh calmly. */
const SHORTEST_CALM_LIFE_MS = (/* unused pure expression or super */ null && (30 * 1000));
/**
 * The model of one token. `sent` is the clock when the request that got it went out: KlearStack
 * stamped it later than that, so counting its life from there errs on the early side.
 */
function tokenTime(token, sent) {
    const { exp, iat } = readClaims(token);
    const obtainedAt = sent.monotonic;
    if (exp === undefined)
        return { obtainedAt };
    if (!plausibleSeconds(exp)) {
        return {
            obtainedAt,
            implausible: exp > 0
                ? `its exp (${exp}) looks like milliseconds, not seconds`
                : `its exp (${exp}) is not a time`
        };
    }
    if (plausibleSeconds(iat)) {
        if (exp <= iat) {
            return { obtainedAt, implausible: `its exp (${exp}) is not after its iat (${iat})` };
        }
        return {
            obtainedAt,
            deadline: obtainedAt + (exp - iat) * 1000 - CLAIM_RESOLUTION_MS,
            skewMs: iat * 1000 - sent.wall
        };
    }
    const left = exp * 1000 - sent.wall - CLAIM_RESOLUTION_MS;
    if (left <= 0) {
        return {
            obtainedAt,
            implausible: `it was already past its exp by the runner's clock when it arrived, and without iat its life cannot be told (is the runner's clock ahead?)`
        };
    }
    return { obtainedAt, deadline: obtainedAt + left };
}
/** The token's life as the model counts it, or undefined. */
function lifeMs(time) {
    return time.deadline === undefined ? undefined : time.deadline - time.obtainedAt;
}
/** Whether the token must be taken for dead at monotonic `now` (a token without a deadline never is). */
function isDead(time, now) {
    return time.deadline !== undefined && time.deadline <= now;
}
/**
 * When the next refresh is due (monotonic ms): at the interval after the token was obtained, or
 * before the last quarter of its life (at most two minutes before it dies), whichever is sooner. A
 * refresh the interval did not ask for never comes sooner than half the token's life after it was
 * obtained (the quarter rule already keeps three quarters) nor sooner than MIN_EARLY_GAP_MS.
 */
function refreshDueAt(time, intervalMs) {
    const byInterval = time.obtainedAt + intervalMs;
    const life = lifeMs(time);
    if (life === undefined || time.deadline === undefined)
        return byInterval;
    const ahead = time.deadline - Math.min(life / 4, MAX_AHEAD_MS);
    return Math.min(byInterval, Math.max(ahead, time.obtainedAt + MIN_EARLY_GAP_MS));
}
/** "3 min ahead of KlearStack's" / "45 s behind KlearStack's": the runner's clock, for messages. */
function describeSkew(skewMs) {
    // The estimate is good to a second or so (iat is whole seconds, plus latency): to the nearest
    // minute once it is a minute or more, so 899.6 s reads "15 min", not "14 min".
    const seconds = Math.abs(skewMs) / 1000;
    const span = formatDuration(seconds >= 60 ? Math.round(seconds / 60) * 60 : seconds);
    // skew = KlearStack − runner: positive means the runner's clock is behind.
    return `${span} ${skewMs > 0 ? 'behind' : 'ahead of'} KlearStack's`;
}
/** The one warning a large skew is worth, or undefined. */
function skewWarning(time) {
    if (time.skewMs === undefined || Math.abs(time.skewMs) <= SKEW_WARNING_MS)
        return undefined;
    return `The runner's clock is ${describeSkew(time.skewMs)} (from the token's iat). Token times follow KlearStack's clock: refreshes are timed from the token's stated life, and expires-at is as KlearStack states it.`;
}

;// CONCATENATED MODULE: ./src/refresher.ts
/**
 * Run mode's schedule: when to refresh, what to send, how to back off, what to say. It owns no
 * process, file or real timer — the clock, the timers, the exchange and the hand-over of a new token
 * are injected — so a simulated day of it runs in milliseconds (dev/time-model.ts).
 */



/** Transient failures (network, 5xx, 429) are tried again after a wait that doubles from this… */
const FIRST_BACKOFF_MS = 5 * 1000;
/** …up to this, so the command recovers within two minutes of KlearStack answering again. */
const MAX_BACKOFF_MS = 2 * 60 * 1000;
/**
 * A rejection that will not clear by itself (a 401 on login, or on a refresh with no service account
 * to fall back on) is tried again this rarely: a retry costs at most one request, and the cycle that
 * met the rejection at most three (refresh, refresh without an expired bearer, login), so no hour
 * holds more than 6 requests. Every few seconds is how service accounts get locked.
 */
const PERMANENT_RETRY_MS = 15 * 60 * 1000;
function readClock(clock) {
    return { wall: clock.wall(), monotonic: clock.monotonic() };
}
class Refresher {
    #deps;
    #intervalMs;
    #canLogin;
    #credentials;
    #latest;
    #time;
    #refreshes = 0;
    #failedRefreshes = 0;
    #expiries = 0;
    #failing;
    #expiredUnreplaced = false;
    /** A refusal is said loudly once per streak of failures; the retries that follow, in the log. */
    #saidRefusal = false;
    #stopped = false;
    #refreshTimer;
    #expiryTimer;
    #said = new Set();
    /** `sent` is the clock when the request for `first` went out. */
    constructor(options, deps) {
        this.#deps = deps;
        this.#intervalMs = options.intervalMs;
        this.#credentials = {
            ...options.credentials,
            refreshToken: options.first.refreshToken ?? options.credentials.refreshToken
        };
        this.#canLogin = Boolean(options.credentials.username && options.credentials.password);
        this.#latest = options.first;
        this.#time = this.#observe(options.first, options.sent);
    }
    start() {
        this.#watchExpiry();
        this.#scheduleAt(refreshDueAt(this.#time, this.#intervalMs));
    }
    /** Ends the schedule: no timer is left and no later answer is acted on. */
    stop() {
        this.#stopped = true;
        this.#deps.timers.clear(this.#refreshTimer);
        this.#deps.timers.clear(this.#expiryTimer);
    }
    get facts() {
        return {
            latest: this.#latest,
            refreshes: this.#refreshes,
            failedRefreshes: this.#failedRefreshes,
            expiries: this.#expiries,
            skewMs: this.#time.skewMs
        };
    }
    /** The model of a new token, with its one-time warnings. */
    #observe(minted, sent) {
        const time = tokenTime(minted.accessToken, sent);
        const skew = skewWarning(time);
        if (skew)
            this.#sayOnce('skew', () => this.#deps.kit.warning(skew));
        if (time.implausible) {
            const why = time.implausible;
            this.#sayOnce('implausible', () => this.#deps.kit.warning(`The KlearStack access token's expiry cannot be used: ${why}. It is refreshed at refresh-interval only.`));
        }
        return time;
    }
    #sayOnce(key, say) {
        if (this.#said.has(key))
            return;
        this.#said.add(key);
        say();
    }
    #scheduleAt(at) {
        if (this.#stopped)
            return;
        const { timers, clock } = this.#deps;
        timers.clear(this.#refreshTimer);
        this.#refreshTimer = timers.set(Math.max(0, at - clock.monotonic()), () => void this.#refresh());
    }
    #watchExpiry() {
        const { timers, clock } = this.#deps;
        timers.clear(this.#expiryTimer);
        const { deadline } = this.#time;
        if (deadline === undefined || this.#stopped)
            return;
        const token = this.#latest;
        this.#expiryTimer = timers.set(Math.max(0, deadline - clock.monotonic()), () => {
            if (this.#stopped || this.#latest !== token)
                return;
            this.#expiries++;
            this.#expiredUnreplaced = true;
            const stated = expiryIso(token.accessToken);
            this.#deps.kit.error(`The KlearStack access token${stated ? ` (exp ${stated} by KlearStack's clock)` : ''} has expired and could not be refreshed in time: the command's requests will fail with 401 until a refresh succeeds, which is being tried.`);
        });
    }
    /** What to send: the newest token as bearer while it lives, and no refresh after a permanent refusal of it. */
    #request() {
        const now = this.#deps.clock.monotonic();
        const request = {
            ...this.#credentials,
            accessToken: isDead(this.#time, now) ? '' : this.#latest.accessToken
        };
        // After a refusal a retry costs one request: the login, when there is a service account.
        if (this.#failing?.rejected && this.#canLogin)
            request.refreshToken = '';
        return request;
    }
    async #refresh() {
        const { kit, clock } = this.#deps;
        const sent = readClock(clock);
        let minted;
        try {
            minted = await this.#deps.mint(this.#request());
            if (this.#stopped)
                return;
            // The client masked the token as it read it; the runner must have that line before the
            // token can show up in the command's output.
            await this.#deps.flushLog();
            await this.#deps.writeToken(minted.accessToken);
        }
        catch (error) {
            if (this.#stopped)
                return;
            this.#failed(error);
            return;
        }
        if (this.#stopped)
            return;
        this.#time = this.#observe(minted, sent);
        this.#latest = minted;
        this.#credentials.refreshToken = minted.refreshToken ?? this.#credentials.refreshToken;
        this.#refreshes++;
        const stated = expiryIso(minted.accessToken);
        const recovered = this.#failing
            ? ` after ${this.#failing.count} failed ${this.#failing.count === 1 ? 'attempt' : 'attempts'}${this.#expiredUnreplaced ? ' (the token had expired meanwhile)' : ''}`
            : '';
        kit.info(`Refreshed the KlearStack access token (${minted.method})${recovered}; it expires at ${stated || 'an unstated time'}.`);
        this.#failing = undefined;
        this.#saidRefusal = false;
        this.#expiredUnreplaced = false;
        this.#watchExpiry();
        this.#scheduleAt(refreshDueAt(this.#time, this.#intervalMs));
    }
    #failed(error) {
        const { kit, clock } = this.#deps;
        this.#failedRefreshes++;
        const message = messageOf(error);
        // Anything not known to be permanent is treated as passing: a wrong guess costs a few requests.
        const refused = error instanceof ActionError && !error.retryable;
        const count = (this.#failing?.count ?? 0) + 1;
        // A refusal holds until a refresh succeeds: an outage met meanwhile says nothing about it.
        const rejected = refused || Boolean(this.#failing?.rejected);
        this.#failing = { count, rejected };
        const waitMs = rejected ? PERMANENT_RETRY_MS : this.#backoffMs(count);
        const again = rejected
            ? `It is tried again every ${PERMANENT_RETRY_MS / 60000} min; the command keeps running.`
            : `Trying again in ${Math.round(waitMs / 1000)} s; the command keeps running with the current token.`;
        if (refused && !this.#saidRefusal) {
            this.#saidRefusal = true;
            kit.error(`Could not refresh the KlearStack access token: ${message} ${again}`);
        }
        else if (count === 1) {
            kit.warning(`Could not refresh the KlearStack access token. ${message} ${again}`);
        }
        else {
            kit.info(`Refresh attempt ${count} failed: ${message} ${again}`);
        }
        this.#scheduleAt(clock.monotonic() + waitMs);
    }
    /** Equal jitter: spread over the upper half of a doubling ceiling, so the count stays bounded. */
    #backoffMs(streak) {
        const first = Math.min(FIRST_BACKOFF_MS, this.#intervalMs);
        const ceiling = Math.min(MAX_BACKOFF_MS, first * 2 ** Math.min(streak - 1, 30));
        return ceiling / 2 + this.#deps.random() * (ceiling / 2);
    }
}

;// CONCATENATED MODULE: ./src/keep-fresh.ts





// SIGBREAK is Ctrl+Break on Windows, which the runner sends after Ctrl+C when it cancels a job.
const SIGNALS = process.platform === 'win32'
    ? ['SIGINT', 'SIGTERM', 'SIGBREAK']
    : ['SIGINT', 'SIGTERM', 'SIGHUP'];
/**
 * Runs the command with bash while a timer keeps the token fresh in a 0600 file. The step's result
 * is the command's: its exit code, its output as it comes, and the signals sent to the step.
 */
async function keepFresh(options, deps) {
    const { kit } = deps;
    // Loaded here rather than at the top: plain mode, most runs, never starts a process, and loading
    // it at start-up cost every run about 1 ms (npm run bench).
    const { spawn } = await Promise.resolve(/* import() */).then(__nccwpck_require__.t.bind(__nccwpck_require__, 421, 23));
    const dir = await (0,promises_namespaceObject.mkdtemp)((0,external_node_path_namespaceObject.join)(options.tempDir, 'klear-token-'));
    const file = (0,external_node_path_namespaceObject.join)(dir, 'token');
    let writes = 0;
    const writeToken = async (token) => {
        // A rename within one folder is atomic, so a reader never sees half a token.
        const next = (0,external_node_path_namespaceObject.join)(dir, `token.${++writes}`);
        await (0,promises_namespaceObject.writeFile)(next, token, { mode: 0o600 });
        await (0,promises_namespaceObject.rename)(next, file);
    };
    const refresher = new Refresher({
        intervalMs: options.intervalMs,
        credentials: options.credentials,
        first: options.first,
        sent: options.firstSent
    }, {
        kit,
        clock: deps.clock,
        timers: {
            set: (ms, run) => setTimeout(run, ms),
            clear: handle => clearTimeout(handle)
        },
        random: deps.random,
        mint: deps.mint,
        flushLog: deps.flushLog,
        writeToken
    });
    try {
        await writeToken(options.first.accessToken);
        // As the runner runs a run: step: the script in a file of its own, run through the template.
        const script = (0,external_node_path_namespaceObject.join)(dir, `script${options.shell.extension}`);
        await (0,promises_namespaceObject.writeFile)(script, scriptContents(options.shell, options.command), { mode: 0o700 });
        const child = spawn(options.shell.program, shellArguments(options.shell.template, script), {
            cwd: options.cwd,
            stdio: 'inherit',
            // Its own process group, so a signal reaches the program bash is running, not just bash.
            detached: process.platform !== 'win32',
            env: {
                ...commandEnvironment(process.env),
                [options.envName]: options.first.accessToken,
                [`${options.envName}_FILE`]: file
            }
        });
        const forward = (signal) => {
            if (child.pid !== undefined && process.platform !== 'win32')
                process.kill(-child.pid, signal);
            else
                child.kill(signal);
        };
        for (const signal of SIGNALS)
            process.on(signal, forward);
        refresher.start();
        const exitCode = await new Promise(resolve => {
            child.on('error', error => {
                kit.error(`Could not start ${options.shell.program} to run the command: ${error.message}. Check the 'shell' input and that the program runs on this runner.`);
                resolve(127);
            });
            child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? external_node_os_namespaceObject.constants.signals[signal] : 0)));
        });
        for (const signal of SIGNALS)
            process.off(signal, forward);
        return { exitCode, ...refresher.facts };
    }
    finally {
        refresher.stop();
        deps.stop.abort();
        await (0,promises_namespaceObject.rm)(dir, { recursive: true, force: true });
    }
}
/**
 * The environment a `run:` step gets (actions/runner, Handlers/ScriptHandler.cs against
 * NodeScriptActionHandler.cs): the step's, without what only a node action is given. INPUT_* hold
 * the refresh token and the password; STATE_* are the action's own; ACTIONS_RUNTIME_TOKEN and
 * ACTIONS_RUNTIME_URL, ACTIONS_CACHE_URL and ACTIONS_RESULTS_URL are the cache and artifact
 * service's credentials. A crash reporter or an `env` dump could ship any of them where the log
 * masking does not reach. ACTIONS_ID_TOKEN_REQUEST_* (a run: step has them when id-token is
 * granted) and RUNNER_TRACKING_ID (the runner's orphan sweep finds the command by it) stay.
 */
const NOT_FOR_COMMANDS = /^(INPUT_|STATE_|ACTIONS_RUNTIME_TOKEN$|ACTIONS_RUNTIME_URL$|ACTIONS_CACHE_URL$|ACTIONS_RESULTS_URL$)/i;
function commandEnvironment(env) {
    return Object.fromEntries(Object.entries(env).filter(([name]) => !NOT_FOR_COMMANDS.test(name)));
}

;// CONCATENATED MODULE: ./src/retry.ts

const DEFAULT_POLICY = {
    baseDelayMs: 1000,
    maxDelayMs: 8000,
    maxRetryAfterMs: 30000
};
/** Waits `ms`, or less if `signal` aborts first: a stopped step must not sit out a backoff. */
function realSleep(ms, signal) {
    return new Promise(resolve => {
        if (signal?.aborted)
            return resolve();
        const timer = setTimeout(done, ms);
        signal?.addEventListener('abort', done, { once: true });
        function done() {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            resolve();
        }
    });
}
/**
 * Wait before retry number `retry` (1-based). Full jitter spreads a matrix of jobs that failed
 * together; a Retry-After is a floor, with the jitter on top so that a crowd told the same number
 * does not come back in lockstep.
 */
function backoffMs(retry, policy, random, retryAfterSeconds) {
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
    const jitter = Math.floor(random * ceiling);
    if (retryAfterSeconds === undefined)
        return jitter;
    return Math.min(policy.maxRetryAfterMs, retryAfterSeconds * 1000) + jitter;
}
/** Runs `operation` until it succeeds, fails permanently, or uses up the attempts; no sleep after the last. */
async function withRetry(operation, policy, deps) {
    const started = Date.now();
    for (let attempt = 1;; attempt++) {
        try {
            return { value: await operation(attempt), attempts: attempt };
        }
        catch (error) {
            if (!(error instanceof ActionError))
                throw error;
            if (!error.retryable) {
                throw attempt === 1
                    ? error
                    : annotate(error, `(on attempt ${attempt} of ${policy.maxAttempts})`);
            }
            if (attempt >= policy.maxAttempts) {
                const seconds = ((Date.now() - started) / 1000).toFixed(1);
                const tries = attempt === 1 ? '1 attempt' : `${attempt} attempts`;
                throw annotate(error, `(gave up after ${tries} in ${seconds} s; max-attempts is ${policy.maxAttempts})`);
            }
            const delayMs = backoffMs(attempt, policy, deps.random(), error.retryAfterSeconds);
            deps.onRetry?.({ attempt, delayMs, error });
            await deps.sleep(delayMs);
        }
    }
}
function annotate(error, suffix) {
    return new ActionError(`${error.message} ${suffix}`, {
        retryable: error.retryable,
        status: error.status,
        retryAfterSeconds: error.retryAfterSeconds,
        bearerExpired: error.bearerExpired
    });
}

;// CONCATENATED MODULE: ./src/mint.ts



const DAY_SECONDS = 24 * 3600;
/**
 * A refresh token handed in as an input has no arrival time, only `exp` against the runner's wall
 * clock, which may run ahead of KlearStack's. Within this leeway (RFC 7519 §4.1.4: "a few minutes")
 * it is sent and KlearStack decides; beyond it, it is not sent.
 */
const INPUT_EXPIRY_LEEWAY_MS = 5 * 60 * 1000;
/**
 * Gets a fresh access token: by refresh when there is a usable refresh token, by login when there is
 * none, when it has expired (by its own `exp`; an expired one is never sent), or when KlearStack
 * rejects it with 401 and a service account was given.
 */
async function mint(credentials, deps) {
    const canLogin = Boolean(credentials.username && credentials.password);
    const { refreshToken } = credentials;
    if (refreshToken) {
        if (!deps.klearStackJudges && isExpired(refreshToken, deps.now(), INPUT_EXPIRY_LEEWAY_MS)) {
            const exp = readClaims(refreshToken).exp;
            const nowSeconds = deps.now() / 1000;
            const when = `${new Date(exp * 1000).toISOString()} (${formatDuration(nowSeconds - exp)} ago)`;
            if (!canLogin) {
                throw new ActionError(`The refresh token expired at ${when}, so it was not sent. Store a new refresh token in the secret, or give username and password (a service account) so unattended jobs can log in.`);
            }
            deps.info(`The refresh token expired at ${when}; logging in with the service account instead.`);
        }
        else {
            try {
                const refreshed = await withRetry(() => refreshOnce(credentials, deps), deps.policy, deps.retry);
                return { ...refreshed.value, method: 'refresh', attempts: refreshed.attempts };
            }
            catch (error) {
                if (!(canLogin && error instanceof ActionError && error.status === 401))
                    throw error;
                deps.warning('KlearStack rejected the refresh (HTTP 401); logging in with the service account instead.');
            }
        }
    }
    const loggedIn = await withRetry(() => deps.client.login({
        username: credentials.username,
        password: credentials.password,
        companyName: credentials.companyName
    }), deps.policy, deps.retry);
    return { ...loggedIn.value, method: 'login', attempts: loggedIn.attempts };
}
async function refreshOnce(credentials, deps) {
    const request = {
        refreshToken: credentials.refreshToken,
        companyName: credentials.companyName,
        accessToken: credentials.accessToken
    };
    try {
        return await deps.client.refresh(request);
    }
    catch (error) {
        if (!(deps.klearStackJudges && request.accessToken))
            throw error;
        if (!(error instanceof ActionError && error.bearerExpired))
            throw error;
        return deps.client.refresh({ ...request, accessToken: '' });
    }
}
/** Warnings worth one line at the start of a step; the API stays the judge, so nothing here fails. */
function expiryWarnings(credentials, nowMs) {
    const now = nowMs / 1000;
    const warnings = [];
    if (isExpired(credentials.accessToken, nowMs)) {
        warnings.push(`The access-token input expired at ${expiryIso(credentials.accessToken)}; trying anyway, but KlearStack will probably answer 401. Leave access-token empty or pass a fresh one.`);
    }
    const refresh = readClaims(credentials.refreshToken).exp;
    if (credentials.refreshToken &&
        refresh !== undefined &&
        refresh > now &&
        refresh - now < DAY_SECONDS) {
        warnings.push(`The refresh token expires in ${formatDuration(refresh - now)} (at ${new Date(refresh * 1000).toISOString()}). Store a new one soon, or give username and password so unattended jobs can log in.`);
    }
    return warnings;
}

;// CONCATENATED MODULE: ./src/publish.ts

/**
 * Sets the outputs and, unless envName is '', the environment variable. Every token here was masked
 * by the client the moment it was read from the response.
 */
function publish(kit, minted, envName) {
    kit.setOutput('access-token', minted.accessToken);
    kit.setOutput('refresh-token', minted.refreshToken ?? '');
    kit.setOutput('release-version', minted.releaseVersion);
    kit.setOutput('expires-at', expiryIso(minted.accessToken));
    if (envName)
        kit.exportVariable(envName, minted.accessToken);
}

;// CONCATENATED MODULE: ./src/summary.ts


/**
 * The job summary: how the newest token was obtained and when it runs out, and in run mode how the
 * refreshing went. Never a token.
 */
function renderSummary(minted, run) {
    const rows = [
        ['Obtained by', minted.method === 'login' ? 'login (service account)' : 'refresh token'],
        ['Attempts', String(minted.attempts)],
        ['KlearStack release', minted.releaseVersion || 'not reported'],
        ['Token expires at', expiryIso(minted.accessToken) || 'not stated by the token']
    ];
    if (run) {
        rows.push(['Refreshes during `run`', String(run.refreshes)]);
        if (run.failedRefreshes)
            rows.push(['Failed refreshes', String(run.failedRefreshes)]);
        if (run.expiries)
            rows.push(['Expired before a refresh', String(run.expiries)]);
        if (run.skewMs !== undefined && Math.abs(run.skewMs) > SKEW_WARNING_MS) {
            rows.push(["Runner's clock", describeSkew(run.skewMs)]);
        }
        rows.push([
            'Command exit code',
            run.exitCode === null ? 'killed by a signal' : String(run.exitCode)
        ]);
    }
    const table = rows.map(([name, value]) => `| ${name} | ${value} |`).join('\n');
    return `### KlearStack access token\n\n| | |\n|---|---|\n${table}\n`;
}

;// CONCATENATED MODULE: ./src/main.ts














/** Run mode's variable when env-name is '' (which only means: export nothing to later steps). */
const RUN_ENV_NAME = 'KLEAR_ACCESS_TOKEN';
/** The whole step for validated inputs; knows nothing of process.env. Returns the exit code. */
async function main(inputs, deps) {
    const { kit } = deps;
    const stop = new AbortController();
    const client = new KlearClient({
        apiRoot: inputs.apiRoot,
        timeoutMs: inputs.timeoutMs,
        mask: value => kit.setSecret(value),
        debug: message => kit.debug(message),
        signal: stop.signal
    });
    const credentials = {
        refreshToken: inputs.refreshToken,
        accessToken: inputs.accessToken,
        companyName: inputs.companyName,
        username: inputs.username,
        password: inputs.password
    };
    const now = () => deps.clock.wall();
    for (const warning of expiryWarnings(credentials, now()))
        kit.warning(warning);
    const mintDeps = {
        client,
        policy: { ...DEFAULT_POLICY, maxAttempts: inputs.maxAttempts },
        retry: {
            sleep: ms => deps.sleep(ms, stop.signal),
            random: deps.random,
            onRetry: ({ attempt, delayMs, error }) => kit.warning(`Attempt ${attempt} failed: ${error.message} Retrying in ${(delayMs / 1000).toFixed(1)} s.`)
        },
        info: message => kit.info(message),
        warning: message => kit.warning(message),
        now
    };
    const firstSent = readClock(deps.clock);
    const first = await mint(credentials, mintDeps);
    if (!inputs.run) {
        const skew = skewWarning(tokenTime(first.accessToken, firstSent));
        if (skew)
            kit.warning(skew);
        publish(kit, first, inputs.envName);
        kit.info(`Got a KlearStack access token by ${first.method}${inputs.envName ? `; later steps have it in ${inputs.envName}` : ''}.`);
        deps.summary(renderSummary(first));
        return 0;
    }
    const envName = inputs.envName || RUN_ENV_NAME;
    kit.info(`Got a KlearStack access token by ${first.method}; running the command with it in ${envName} and the newest one always in the file named by ${envName}_FILE.`);
    const outcome = await keepFresh({
        command: inputs.run,
        shell: inputs.shell,
        cwd: (0,external_node_path_namespaceObject.resolve)(deps.workspace, inputs.workingDirectory),
        envName,
        tempDir: deps.tempDir,
        intervalMs: inputs.refreshIntervalMs,
        first,
        firstSent,
        credentials
    }, {
        kit,
        // One request at a time: the schedule backs off between refreshes (refresher.ts).
        mint: current => mint(current, {
            ...mintDeps,
            policy: { ...mintDeps.policy, maxAttempts: 1 },
            klearStackJudges: true
        }),
        flushLog: deps.flushLog,
        clock: deps.clock,
        random: deps.random,
        stop
    });
    // Later steps get the newest token, not the first one, which may be close to expiring by now.
    publish(kit, outcome.latest, inputs.envName);
    deps.summary(renderSummary(outcome.latest, outcome));
    if (outcome.exitCode !== 0)
        kit.error(`The command exited with code ${outcome.exitCode}.`);
    return outcome.exitCode;
}
async function run() {
    try {
        const inputs = readInputs({
            get: name => getInput(name),
            mask: value => setSecret(value),
            warn: message => warning(message)
        });
        const exitCode = await main(inputs, {
            kit: core_namespaceObject,
            summary: appendSummary,
            sleep: realSleep,
            random: Math.random,
            clock: { wall: Date.now, monotonic: () => performance.now() },
            flushLog: () => new Promise(done => process.stdout.write('', () => done())),
            tempDir: process.env.RUNNER_TEMP || (0,external_node_os_namespaceObject.tmpdir)(),
            workspace: process.env.GITHUB_WORKSPACE || process.cwd()
        });
        if (exitCode !== 0)
            process.exitCode = exitCode;
    }
    catch (error) {
        setFailed(messageOf(error));
    }
}
/**
 * A summary is a courtesy: failing to write one must not fail a step that got its token. Written
 * synchronously: it is the step's last act, and fs/promises' three thread-pool round trips (open,
 * write, close) cost about 0.9 ms of a step that takes 40.
 */
function appendSummary(markdown) {
    const path = process.env.GITHUB_STEP_SUMMARY;
    if (!path)
        return;
    try {
        (0,external_node_fs_namespaceObject.appendFileSync)(path, markdown);
    }
    catch (error) {
        warning(`Could not write the job summary: ${messageOf(error)}`);
    }
}


/***/ }),

/***/ 613:
/***/ ((module) => {

"use strict";
module.exports = require("assert");

/***/ }),

/***/ 434:
/***/ ((module) => {

"use strict";
module.exports = require("events");

/***/ }),

/***/ 611:
/***/ ((module) => {

"use strict";
module.exports = require("http");

/***/ }),

/***/ 692:
/***/ ((module) => {

"use strict";
module.exports = require("https");

/***/ }),

/***/ 278:
/***/ ((module) => {

"use strict";
module.exports = require("net");

/***/ }),

/***/ 421:
/***/ ((module) => {

"use strict";
module.exports = require("node:child_process");

/***/ }),

/***/ 67:
/***/ ((module) => {

"use strict";
module.exports = require("node:http");

/***/ }),

/***/ 708:
/***/ ((module) => {

"use strict";
module.exports = require("node:https");

/***/ }),

/***/ 756:
/***/ ((module) => {

"use strict";
module.exports = require("tls");

/***/ }),

/***/ 23:
/***/ ((module) => {

"use strict";
module.exports = require("util");

/***/ })

/******/ 	});
/************************************************************************/
/******/ 	// The module cache
/******/ 	var __webpack_module_cache__ = {};
/******/ 	
/******/ 	// The require function
/******/ 	function __nccwpck_require__(moduleId) {
/******/ 		// Check if module is in cache
/******/ 		var cachedModule = __webpack_module_cache__[moduleId];
/******/ 		if (cachedModule !== undefined) {
/******/ 			return cachedModule.exports;
/******/ 		}
/******/ 		// Create a new module (and put it into the cache)
/******/ 		var module = __webpack_module_cache__[moduleId] = {
/******/ 			// no module.id needed
/******/ 			// no module.loaded needed
/******/ 			exports: {}
/******/ 		};
/******/ 	
/******/ 		// Execute the module function
/******/ 		var threw = true;
/******/ 		try {
/******/ 			__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
/******/ 			threw = false;
/******/ 		} finally {
/******/ 			if(threw) delete __webpack_module_cache__[moduleId];
/******/ 		}
/******/ 	
/******/ 		// Return the exports of the module
/******/ 		return module.exports;
/******/ 	}
/******/ 	
/************************************************************************/
/******/ 	/* webpack/runtime/asset-relocator-loader */
/******/ 	if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = __dirname + "/";
/******/ 	
/******/ 	/* webpack/runtime/async module */
/******/ 	(() => {
/******/ 		var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 		var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 		var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 		var resolveQueue = (queue) => {
/******/ 			if(queue && queue.d < 1) {
/******/ 				queue.d = 1;
/******/ 				queue.forEach((fn) => (fn.r--));
/******/ 				queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 			}
/******/ 		}
/******/ 		var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 			if(dep !== null && typeof dep === "object") {
/******/ 				if(dep[webpackQueues]) return dep;
/******/ 				if(dep.then) {
/******/ 					var queue = [];
/******/ 					queue.d = 0;
/******/ 					dep.then((r) => {
/******/ 						obj[webpackExports] = r;
/******/ 						resolveQueue(queue);
/******/ 					}, (e) => {
/******/ 						obj[webpackError] = e;
/******/ 						resolveQueue(queue);
/******/ 					});
/******/ 					var obj = {};
/******/ 					obj[webpackQueues] = (fn) => (fn(queue));
/******/ 					return obj;
/******/ 				}
/******/ 			}
/******/ 			var ret = {};
/******/ 			ret[webpackQueues] = x => {};
/******/ 			ret[webpackExports] = dep;
/******/ 			return ret;
/******/ 		}));
/******/ 		__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 			var queue;
/******/ 			hasAwait && ((queue = []).d = -1);
/******/ 			var depQueues = new Set();
/******/ 			var exports = module.exports;
/******/ 			var currentDeps;
/******/ 			var outerResolve;
/******/ 			var reject;
/******/ 			var promise = new Promise((resolve, rej) => {
/******/ 				reject = rej;
/******/ 				outerResolve = resolve;
/******/ 			});
/******/ 			promise[webpackExports] = exports;
/******/ 			promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 			module.exports = promise;
/******/ 			body((deps) => {
/******/ 				currentDeps = wrapDeps(deps);
/******/ 				var fn;
/******/ 				var getResult = () => (currentDeps.map((d) => {
/******/ 					if(d[webpackError]) throw d[webpackError];
/******/ 					return d[webpackExports];
/******/ 				}))
/******/ 				var promise = new Promise((resolve) => {
/******/ 					fn = () => (resolve(getResult));
/******/ 					fn.r = 0;
/******/ 					var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 					currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 				});
/******/ 				return fn.r ? promise : getResult();
/******/ 			}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 			queue && queue.d < 0 && (queue.d = 0);
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/create fake namespace object */
/******/ 	(() => {
/******/ 		var getProto = Object.getPrototypeOf ? (obj) => (Object.getPrototypeOf(obj)) : (obj) => (obj.__proto__);
/******/ 		var leafPrototypes;
/******/ 		// create a fake namespace object
/******/ 		// mode & 1: value is a module id, require it
/******/ 		// mode & 2: merge all properties of value into the ns
/******/ 		// mode & 4: return value when already ns object
/******/ 		// mode & 16: return value when it's Promise-like
/******/ 		// mode & 8|1: behave like require
/******/ 		__nccwpck_require__.t = function(value, mode) {
/******/ 			if(mode & 1) value = this(value);
/******/ 			if(mode & 8) return value;
/******/ 			if(typeof value === 'object' && value) {
/******/ 				if((mode & 4) && value.__esModule) return value;
/******/ 				if((mode & 16) && typeof value.then === 'function') return value;
/******/ 			}
/******/ 			var ns = Object.create(null);
/******/ 			__nccwpck_require__.r(ns);
/******/ 			var def = {};
/******/ 			leafPrototypes = leafPrototypes || [null, getProto({}), getProto([]), getProto(getProto)];
/******/ 			for(var current = mode & 2 && value; typeof current == 'object' && !~leafPrototypes.indexOf(current); current = getProto(current)) {
/******/ 				Object.getOwnPropertyNames(current).forEach((key) => (def[key] = () => (value[key])));
/******/ 			}
/******/ 			def['default'] = () => (value);
/******/ 			__nccwpck_require__.d(ns, def);
/******/ 			return ns;
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/define property getters */
/******/ 	(() => {
/******/ 		// define getter functions for harmony exports
/******/ 		__nccwpck_require__.d = (exports, definition) => {
/******/ 			for(var key in definition) {
/******/ 				if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 					Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 				}
/******/ 			}
/******/ 		};
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/hasOwnProperty shorthand */
/******/ 	(() => {
/******/ 		__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ 	})();
/******/ 	
/******/ 	/* webpack/runtime/make namespace object */
/******/ 	(() => {
/******/ 		// define __esModule on exports
/******/ 		__nccwpck_require__.r = (exports) => {
/******/ 			if(typeof Symbol !== 'undefined' && Symbol.toStringTag) {
/******/ 				Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
/******/ 			}
/******/ 			Object.defineProperty(exports, '__esModule', { value: true });
/******/ 		};
/******/ 	})();
/******/ 	
/************************************************************************/
/******/ 	
/******/ 	// startup
/******/ 	// Load entry module and return exports
/******/ 	// This entry module used 'module' so it can't be inlined
/******/ 	var __webpack_exports__ = __nccwpck_require__(407);
/******/ 	module.exports = __webpack_exports__;
/******/ 	
/******/ })()
;