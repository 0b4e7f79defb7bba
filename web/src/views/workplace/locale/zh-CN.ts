export default {
  greeting: {
    morning: '早上好，{name}',
    afternoon: '下午好，{name}',
    evening: '晚上好，{name}',
  },
  username: '用户名',
  role: '角色',
  lastLogin: '最近登录',
  neverLoggedIn: '暂无记录',
  createdAt: '账号创建于',
  capabilities: {
    title: '我的权限',
    description: '{role}角色可以使用以下 {count} 项功能',
    empty: '当前角色未被授予任何功能权限，请联系管理员。',
  },
  status: {
    title: '服务状态',
    ready: '运行正常',
    notReady: '服务未就绪',
    unreachable: '无法连接服务器',
    service: '应用服务',
    database: '数据库',
    ok: '正常',
    checkedAt: '检测于 {time}',
    recheck: '重新检测',
  },
  shortcuts: {
    title: '快捷入口',
    users: '新建账号、分配角色、停用离职人员',
    audit: '查看谁在何时修改了什么',
    account: '查看个人信息、修改登录密码',
  },
};
