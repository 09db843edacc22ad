const { init } = require('wxbase-miniprogram')
const config = require('./config')

App({
  onLaunch() {
    this.wxbase = init({ baseURL: config.baseURL, mockUser: config.mockUser, appid: config.appid })
    // At launch: reuse the stored session when it is still good (no network
    // login), or log in with wx.login. Pages wait on this promise.
    this.session = this.wxbase.ensureLogin()
  },
})
