// The seed flow done right: log in at launch, create the profile on first
// login (nickname and avatar the current WeChat way), update it later. The
// session_key and the AppSecret never reach this code: the server keeps them.
const app = getApp()

Page({
  data: {
    loading: true,
    error: '',
    isNew: false,
    nickname: '',
    avatarURL: '',   // what is shown: the stored avatar, or the one just chosen
    avatarPath: '',  // a newly chosen avatar, not uploaded yet
    saving: false,
    saved: false,
    edited: false,   // a nickname or avatar chosen and not saved yet
  },

  onLoad() {
    return this.load()
  },

  // Coming back to the page after a while: ensureLogin logs in again if
  // the session expired meanwhile, then the profile is read afresh. The
  // chooseAvatar picker also fires onShow when it closes: what the user
  // chose and has not saved yet is kept, not overwritten by the stored one.
  onShow() {
    if (!this.data.loading) return this.load()
  },

  async load() {
    try {
      const { isNew } = await app.session
      const user = await this.readProfile()
      // Unsaved choices win over the stored profile.
      this.setData({ loading: false, error: '', isNew, ...(this.data.edited ? {} : user) })
    } catch (err) {
      this.setData({ loading: false, error: err.message })
    }
  },

  async readProfile() {
    await app.wxbase.ensureLogin()
    const me = app.wxbase.pb.authStore.record
    const { data } = await app.wxbase.database().collection('users').doc(me.id).get()
    return {
      nickname: data.name || '',
      avatarURL: data.avatar ? app.wxbase.fileURL(data, data.avatar) : '',
      avatarPath: '',
    }
  },

  // <button open-type="chooseAvatar" bindchooseavatar="onChooseAvatar">
  onChooseAvatar(e) {
    const { avatarUrl } = e.detail // a temporary local file
    this.setData({ avatarPath: avatarUrl, avatarURL: avatarUrl, saved: false, edited: true })
  },

  // <input type="nickname" bindinput="onNicknameInput" bindblur="onNicknameInput">
  onNicknameInput(e) {
    this.setData({ nickname: e.detail.value, saved: false, edited: true })
  },

  async save() {
    const nickname = this.data.nickname.trim()
    if (!nickname) {
      this.setData({ error: 'Choose a nickname first.' })
      return
    }
    this.setData({ saving: true, error: '' })
    try {
      await app.wxbase.ensureLogin()
      const me = app.wxbase.pb.authStore.record
      await app.wxbase.database().collection('users').doc(me.id).update({ data: { name: nickname } })
      if (this.data.avatarPath) {
        await app.wxbase.uploadFile({ collection: 'users', id: me.id, field: 'avatar', filePath: this.data.avatarPath })
      }
      const user = await this.readProfile()
      this.setData({ saving: false, saved: true, edited: false, isNew: false, ...user })
    } catch (err) {
      this.setData({ saving: false, error: err.message })
    }
  },
})
