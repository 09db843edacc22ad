// Where the example's wxbase server runs. For a first try, start one with
// `go run . serve --wechat-mock` and keep mockUser: every wx.login code is then
// replaced by mock:<mockUser>:<nonce>, which only a --wechat-mock server
// accepts. Such a server knows only its own mock app, not this mini-program's
// appid, so appid '' sends none and its one app answers. For a real server,
// set its HTTPS address and remove mockUser and appid.
module.exports = {
  baseURL: 'http://127.0.0.1:8090',
  mockUser: 'alice',
  appid: '',
}
