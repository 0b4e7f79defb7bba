export default {
  title: '账号登录',
  subtitle: '请使用公司分配的账号登录',
  username: '用户名',
  password: '密码',
  usernameRequired: '请输入用户名',
  passwordRequired: '请输入密码',
  submit: '登录',
  tagline: '客户运营与结算，一处完成',
  intro: '从客户档案到月度账单和收款核销，替代手工 Excel 对账。',
  features: {
    customers: { title: '客户档案', description: '客户资料、负责人与账号状态集中管理' },
    billing: { title: '计费结算', description: '按月用量生成准确账单，阶梯价格自动计算' },
    payments: { title: '收款核销', description: '银行回款匹配账单，未结清金额一目了然' },
  },
  internalOnly: '仅限公司内部人员使用',
};
